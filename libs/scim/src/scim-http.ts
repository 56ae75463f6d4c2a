import { ScimException } from './scim.exception';

/** A single resource as a service returns it; the SCIM response interceptor sets ETag and Location. */
export class ScimResourceResult {
  constructor(
    readonly body: Record<string, unknown>,
    readonly version: number,
    readonly location?: string,
  ) {}

  get etag(): string {
    return etagOf(this.version);
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
