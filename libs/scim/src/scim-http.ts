import { ScimException } from './scim.exception';

/** JSON text of one attribute's value as the database rendered it, to be sent without parsing it here. */
export interface RawAttribute {
  name: string;
  json: string;
}

/** A single resource as a service returns it; the SCIM response interceptor sets ETag and Location. */
export class ScimResourceResult {
  constructor(
    readonly body: Record<string, unknown>,
    readonly version: number,
    readonly location?: string,
    /** An attribute whose value arrives as JSON text (a large group's members), appended to the body as it is. */
    readonly raw?: RawAttribute,
  ) {}

  get etag(): string {
    return etagOf(this.version);
  }

  /** The resource as JSON text. */
  toJson(): string {
    const text = JSON.stringify(this.body);
    if (!this.raw) return text;
    const separator = text === '{}' ? '' : ',';
    return `${text.slice(0, -1)}${separator}${JSON.stringify(this.raw.name)}:${this.raw.json}}`;
  }
}

/** A change answered with 204 No Content (RFC 7644 §3.5.2 allows it for PATCH); only the new ETag is sent. */
export class ScimNoContent {
  constructor(readonly version: number) {}

  get etag(): string {
    return etagOf(this.version);
  }
}

export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/**
 * The version an `If-Match` header requires: undefined when absent or `*`. An ETag this server did not
 * issue can never match, so it is version -1 (412).
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.length > 1) throw new ScimException(400, 'invalidValue', 'If-Match must name one ETag');
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(tags[0]);
  return m ? Number(m[1]) : -1;
}

export function etagMatches(header: string | undefined, version: number): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === `"${version}"`);
}
