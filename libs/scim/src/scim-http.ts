import { preconditionFailed } from './scim-query';
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
 * An `If-Match` / `If-None-Match` header (RFC 7232 §3.1, §3.2): `*`, or the versions its entity-tags name.
 * Our ETags are `W/"<version>"`; the strong form `"<version>"` names the same version (see below), and an
 * entity-tag this server did not issue, or a header that is not a list of entity-tags, names none.
 */
export type EtagCondition = '*' | readonly number[];

const ENTITY_TAG = /\s*(?:W\/)?"([^"]*)"\s*(?:,|$)/gy;
const VERSION = /^\d{1,9}$/;

export function parseEtagCondition(header: string | undefined): EtagCondition | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (text === '*') return '*';
  const versions: number[] = [];
  ENTITY_TAG.lastIndex = 0;
  let end = 0;
  for (let m = ENTITY_TAG.exec(text); m !== null; m = ENTITY_TAG.exec(text)) {
    if (VERSION.test(m[1])) versions.push(Number(m[1]));
    end = ENTITY_TAG.lastIndex;
  }
  return end === text.length ? versions : [];
}

/** Whether a condition names `version` (`*` names any existing resource). */
export function etagConditionHolds(condition: EtagCondition, version: number): boolean {
  return condition === '*' || condition.includes(version);
}

/**
 * The version a PUT, PATCH or DELETE may apply to, from its If-Match and If-None-Match headers (RFC 7232), or
 * undefined for any version. If-Match compares version numbers: `W/"3"` and `"3"` both match version 3. RFC 7232
 * asks for the strong comparison there, which no weak ETag passes, so every SCIM client's If-Match would fail;
 * our versions change with every write, so comparing them is exact. `*` matches the resource if it exists
 * (otherwise the answer is 404, as without the header: RFC 7232 §5).
 * No header, `*`, or a single ETag is answered at once, without a promise (the common cases, no extra read). A
 * list, or any If-None-Match, is checked against the current version (`current`, which answers 404 when there is
 * none); the write then applies only to that version, so a concurrent change makes it 412 rather than slip through.
 */
export function writePrecondition(
  ifMatchHeader: string | undefined,
  ifNoneMatchHeader: string | undefined,
  current: () => Promise<number>,
): number | undefined | Promise<number> {
  const ifMatch = parseEtagCondition(ifMatchHeader);
  const ifNoneMatch = parseEtagCondition(ifNoneMatchHeader);
  if (ifNoneMatch === undefined && (ifMatch === undefined || ifMatch === '*')) return undefined;
  if (ifNoneMatch === undefined && ifMatch !== undefined && ifMatch !== '*' && ifMatch.length <= 1) {
    return ifMatch[0] ?? -1; // a version no resource has: 412, or 404 without the resource
  }
  return checkedVersion(ifMatch, ifNoneMatch, current);
}

async function checkedVersion(
  ifMatch: EtagCondition | undefined,
  ifNoneMatch: EtagCondition | undefined,
  current: () => Promise<number>,
): Promise<number> {
  const version = await current();
  if (ifMatch !== undefined && !etagConditionHolds(ifMatch, version)) throw preconditionFailed();
  if (ifNoneMatch !== undefined && etagConditionHolds(ifNoneMatch, version)) {
    throw new ScimException(412, undefined, `The resource's ETag ${etagOf(version)} matches If-None-Match`);
  }
  return version;
}

/**
 * Runs `write` with the version its If-Match and If-None-Match headers allow ({@link writePrecondition}): at once
 * when that needs no read, after reading the current version otherwise.
 */
export function conditionalWrite<T>(
  ifMatchHeader: string | undefined,
  ifNoneMatchHeader: string | undefined,
  current: () => Promise<number>,
  write: (version: number | undefined) => Promise<T>,
): Promise<T> {
  const version = writePrecondition(ifMatchHeader, ifNoneMatchHeader, current);
  return version instanceof Promise ? version.then(write) : write(version);
}
