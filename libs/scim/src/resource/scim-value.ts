import { ScimException } from '../scim.exception';
import { limitExceeded, MAX_ATTRIBUTES_PER_OBJECT, MAX_VALUES_PER_ATTRIBUTE } from '../scim-limits';
import { findByName, type ScimAttribute } from '../schema';

/** A JSON object as received from or stored for a SCIM client. */
export type JsonObject = Record<string, unknown>;

/** A SCIM resource as kept in the JSONB column: canonical attribute names, `schemas` first. */
export type ScimResource = JsonObject;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * A string that two JSON values share exactly when they are structurally equal ({@link deepEqual}): object keys
 * sorted, so that key order does not matter. Duplicates are found by looking this up in a map, never by
 * comparing every pair of values.
 */
export function canonicalKey(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalKey).join(',')}]`;
  if (isPlainObject(value)) {
    const members = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalKey(value[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** A deep copy of a JSON value. */
export function deepClone<T>(value: T): T {
  // Most values are strings, numbers or booleans: structuredClone costs a microsecond even for those.
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

/** The key of `obj` equal to `name` ignoring case (SCIM attribute names are case-insensitive). */
export function findKey(obj: JsonObject, name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return name;
  const wanted = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === wanted);
}

/** The value of `obj[name]`, looked up case-insensitively. */
export function getIgnoringCase(obj: JsonObject, name: string): unknown {
  const key = findKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

/**
 * A SCIM boolean: `true`/`false`, or the strings `"True"`/`"False"` in any case (Microsoft Entra ID sends
 * those). Anything else yields undefined.
 */
export function coerceBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  return undefined;
}

/** An xsd:dateTime (RFC 7643 §2.3.5), e.g. `2008-01-23T04:56:22Z` or with an offset / fractional seconds. */
const DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function invalidValue(detail: string): ScimException {
  return new ScimException(400, 'invalidValue', detail);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (isPlainObject(value)) return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Options for {@link coerceAttributeValue}. */
export interface CoerceOptions {
  /**
   * Drop readOnly sub-attributes (RFC 7644 §3.3: they are ignored in requests), except the names listed in
   * `keepReadOnly` as `attr.sub` (case-insensitive), e.g. `members.display`.
   */
  dropReadOnly: boolean;
  keepReadOnly?: readonly string[];
}

const DEFAULT_KEEP_READ_ONLY = ['members.display'];

/**
 * Checks and canonicalises one value of a simple (non-complex) attribute. Throws 400 invalidValue naming
 * `path` when the JSON type does not fit. Lenient conversions: the strings "True"/"False" for booleans,
 * numeric strings for integer/decimal.
 */
export function coerceSimpleValue(attribute: ScimAttribute, value: unknown, path: string): unknown {
  const fail = (): never => {
    throw invalidValue(`Attribute '${path}' must be of type ${attribute.type}, got ${describe(value)}.`);
  };
  switch (attribute.type) {
    case 'string':
    case 'reference':
    case 'binary':
      return typeof value === 'string' ? value : fail();
    case 'boolean': {
      const b = coerceBoolean(value);
      return b === undefined ? fail() : b;
    }
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && INTEGER_TEXT.test(value.trim())) return Number(value.trim());
      return fail();
    case 'decimal':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && DECIMAL_TEXT.test(value.trim())) return Number(value.trim());
      return fail();
    case 'dateTime':
      return typeof value === 'string' && DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))
        ? value
        : fail();
    case 'complex':
      return fail();
  }
}

/**
 * Checks and canonicalises a value of a complex attribute (one element for a multi-valued one): sub-attribute
 * names get their schema casing, values are type-checked, nulls mean "unassigned" and are dropped.
 * A plain string for a complex attribute that has a `value` sub-attribute becomes `{ value }` (Entra sends the
 * enterprise `manager` as a bare id). Sub-attributes the schema does not define are kept verbatim (they
 * round-trip). Returns undefined when nothing is left.
 */
export function coerceComplexValue(
  attribute: ScimAttribute,
  value: unknown,
  path: string,
  options: CoerceOptions,
): JsonObject | undefined {
  const subs = attribute.subAttributes ?? [];
  if (typeof value === 'string' && findByName(subs, 'value')) value = { value };
  if (!isPlainObject(value)) {
    throw invalidValue(`Attribute '${path}' must be a complex value (an object), got ${describe(value)}.`);
  }
  checkAttributeCount(`Attribute '${path}'`, value);
  const out: JsonObject = {};
  for (const [key, raw] of Object.entries(value)) {
    const sub = findByName(subs, key);
    const name = sub?.name ?? key;
    if (Object.prototype.hasOwnProperty.call(out, name)) {
      throw invalidValue(`Attribute '${path}.${name}' is given more than once.`);
    }
    if (raw === null || raw === undefined) continue;
    if (!sub) {
      out[name] = deepClone(raw);
      continue;
    }
    if (options.dropReadOnly && sub.mutability === 'readOnly' && !keepsReadOnly(attribute, sub, options)) {
      continue;
    }
    out[name] = coerceSimpleValue(sub, raw, `${path}.${sub.name}`);
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function keepsReadOnly(attribute: ScimAttribute, sub: ScimAttribute, options: CoerceOptions): boolean {
  const wanted = `${attribute.name}.${sub.name}`.toLowerCase();
  return (options.keepReadOnly ?? DEFAULT_KEEP_READ_ONLY).some((k) => k.toLowerCase() === wanted);
}

/**
 * Makes `primary: true` unique within a multi-valued attribute (RFC 7643 §2.4: at most one primary). The
 * element at `preferred` (when it is primary) wins, otherwise the first primary one; the others are replaced
 * by copies with `primary: false` (never edited in place, so that a cached {@link canonicalKey} stays true).
 */
export function enforceSinglePrimary(values: unknown[], preferred?: number): void {
  const primaries: number[] = [];
  values.forEach((v, i) => {
    if (isPlainObject(v) && v['primary'] === true) primaries.push(i);
  });
  if (primaries.length <= 1) return;
  const winner = preferred !== undefined && primaries.includes(preferred) ? preferred : primaries[0];
  for (const i of primaries) {
    if (i !== winner) values[i] = { ...(values[i] as JsonObject), primary: false };
  }
}

/**
 * Appends the elements of `added` that are not already in `target` (structural equality, through a map of
 * canonical keys) and returns the position of each in `target`. `keyOf` may cache keys between calls.
 */
export function appendDistinct(
  target: unknown[],
  added: readonly unknown[],
  keyOf: (value: unknown) => string = canonicalKey,
): number[] {
  const positions = new Map<string, number>();
  target.forEach((existing, i) => {
    const key = keyOf(existing);
    if (!positions.has(key)) positions.set(key, i);
  });
  return added.map((item) => {
    const key = keyOf(item);
    let at = positions.get(key);
    if (at === undefined) {
      at = target.push(item) - 1;
      positions.set(key, at);
    }
    return at;
  });
}

/**
 * Refuses an object with more attributes than {@link MAX_ATTRIBUTES_PER_OBJECT}, before they are read one by
 * one. `what` names the object: `The User`, `Attribute 'name'`.
 */
export function checkAttributeCount(what: string, obj: JsonObject): void {
  const count = Object.keys(obj).length;
  if (count > MAX_ATTRIBUTES_PER_OBJECT) {
    throw limitExceeded(
      `${what} has ${count} attributes; the limit is ${MAX_ATTRIBUTES_PER_OBJECT} attributes per object.`,
    );
  }
}

/**
 * Refuses a resource whose JSON would take more than `maxBytes` (the request body limit): one that could not be
 * sent back in a PUT, and that PATCH requests, each within the limits, could otherwise grow without end. Returns
 * the JSON, so that the resource is serialised once: it is what the caller stores.
 */
export function checkResourceSize(
  resourceType: string,
  resource: JsonObject,
  maxBytes: number,
  limitName = 'the request body limit',
): string {
  const json = JSON.stringify(resource);
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw limitExceeded(
      `The ${resourceType} would take ${bytes} bytes; the limit is ${maxBytes} bytes, ${limitName}.`,
    );
  }
  return json;
}

/** Refuses more values of one multi-valued attribute than {@link MAX_VALUES_PER_ATTRIBUTE}. */
export function checkValueCount(path: string, count: number): void {
  if (count > MAX_VALUES_PER_ATTRIBUTE) {
    throw limitExceeded(
      `Attribute '${path}' would have ${count} values; the limit is ${MAX_VALUES_PER_ATTRIBUTE} values per attribute.`,
    );
  }
}

/**
 * Checks and canonicalises a value of any attribute. `null` (and, for multi-valued attributes, an empty
 * array) means "unassigned" and yields undefined.
 * Multi-valued attributes: a single value not wrapped in an array is accepted and wrapped; null elements are
 * dropped, duplicates removed, and `primary` made unique (first primary wins).
 * Single-valued attributes: a one-element array is unwrapped (Entra sends `[{"value": "…"}]` for the
 * enterprise `manager`); a longer array is an error.
 */
export function coerceAttributeValue(
  attribute: ScimAttribute,
  value: unknown,
  path: string,
  options: CoerceOptions,
): unknown {
  if (value === null || value === undefined) return undefined;
  if (attribute.multiValued) {
    const items: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
    checkValueCount(path, items.length);
    const coerced = items.map((item) => coerceSingle(attribute, item, path, options));
    const out: unknown[] = [];
    appendDistinct(
      out,
      coerced.filter((c) => c !== undefined),
    );
    enforceSinglePrimary(out);
    return out.length === 0 ? undefined : out;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    if (value.length > 1) {
      throw invalidValue(`Attribute '${path}' is single-valued, got an array of ${value.length} values.`);
    }
    value = value[0];
  }
  return coerceSingle(attribute, value, path, options);
}

function coerceSingle(
  attribute: ScimAttribute,
  value: unknown,
  path: string,
  options: CoerceOptions,
): unknown {
  if (value === null || value === undefined) return undefined;
  return attribute.type === 'complex'
    ? coerceComplexValue(attribute, value, path, options)
    : coerceSimpleValue(attribute, value, path);
}

/** True when a value counts as unassigned for a required check: absent, null, empty/blank string, []. */
export function isUnassigned(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0)
  );
}
