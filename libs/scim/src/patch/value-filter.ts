import { ScimException } from '../scim.exception';
import type { FilterNode, FilterValue } from '../filter';
import { findByName, type ScimAttribute } from '../schema';
import { coerceBoolean, getIgnoringCase, isPlainObject, isUnassigned, type JsonObject } from '../resource';

/*
 * In-memory evaluation of a PATCH value-path filter (`emails[type eq "work"]`) against the values of ONE
 * resource's multi-valued attribute. This never filters resources (list filters are compiled to SQL elsewhere);
 * it only picks elements of an array already loaded for the PATCH.
 */

function elementObject(element: unknown): JsonObject {
  return isPlainObject(element) ? element : { value: element };
}

function comparable(
  actual: unknown,
  expected: FilterValue,
  sub: ScimAttribute | undefined,
): { a: string | number | boolean; b: string | number | boolean } | undefined {
  if (expected === null || actual === null || actual === undefined) return undefined;
  if (sub?.type === 'boolean' || typeof expected === 'boolean') {
    const a = coerceBoolean(actual);
    const b = coerceBoolean(expected);
    return a === undefined || b === undefined ? undefined : { a, b };
  }
  if (sub?.type === 'dateTime' && typeof actual === 'string' && typeof expected === 'string') {
    const a = Date.parse(actual);
    const b = Date.parse(expected);
    return Number.isNaN(a) || Number.isNaN(b) ? undefined : { a, b };
  }
  if (typeof actual === 'number' && typeof expected === 'number') return { a: actual, b: expected };
  if (typeof actual === 'string' && typeof expected === 'string') {
    return sub?.caseExact
      ? { a: actual, b: expected }
      : { a: actual.toLowerCase(), b: expected.toLowerCase() };
  }
  return undefined;
}

function compare(
  node: Extract<FilterNode, { kind: 'compare' }>,
  element: JsonObject,
  attribute: ScimAttribute,
): boolean {
  const sub = findByName(attribute.subAttributes, node.path);
  const actual = getIgnoringCase(element, node.path);
  if (node.value === null) {
    const absent = actual === undefined || actual === null;
    if (node.op === 'eq') return absent;
    if (node.op === 'ne') return !absent;
    return false;
  }
  const pair = comparable(actual, node.value, sub);
  if (!pair) return node.op === 'ne';
  const { a, b } = pair;
  switch (node.op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'co':
      return typeof a === 'string' && typeof b === 'string' && a.includes(b);
    case 'sw':
      return typeof a === 'string' && typeof b === 'string' && a.startsWith(b);
    case 'ew':
      return typeof a === 'string' && typeof b === 'string' && a.endsWith(b);
    case 'gt':
      return typeof a !== 'boolean' && a > b;
    case 'ge':
      return typeof a !== 'boolean' && a >= b;
    case 'lt':
      return typeof a !== 'boolean' && a < b;
    case 'le':
      return typeof a !== 'boolean' && a <= b;
  }
}

/** True when `element` (one value of `attribute`) satisfies the value filter. */
export function matchesValueFilter(filter: FilterNode, element: unknown, attribute: ScimAttribute): boolean {
  const el = elementObject(element);
  switch (filter.kind) {
    case 'compare':
      return compare(filter, el, attribute);
    case 'present':
      return !isUnassigned(getIgnoringCase(el, filter.path));
    case 'and':
      return filter.filters.every((f) => matchesValueFilter(f, element, attribute));
    case 'or':
      return filter.filters.some((f) => matchesValueFilter(f, element, attribute));
    case 'not':
      return !matchesValueFilter(filter.filter, element, attribute);
    case 'valuePath':
      throw new ScimException(400, 'invalidFilter', 'Value paths cannot be nested in a PATCH path filter.');
  }
}

/**
 * The element a value filter describes, for creating it when nothing matches: the `sub eq literal` terms of
 * a filter made only of such terms joined by `and` (`type eq "work" and primary eq true` →
 * `{ type: 'work', primary: true }`). Undefined when the filter cannot describe one element.
 */
export function seedFromFilter(filter: FilterNode, attribute: ScimAttribute): JsonObject | undefined {
  if (filter.kind === 'compare') {
    if (filter.op !== 'eq' || filter.value === null || filter.path.includes('.')) return undefined;
    const sub = findByName(attribute.subAttributes, filter.path);
    if (!sub) return undefined;
    let value: unknown = filter.value;
    if (sub.type === 'boolean') value = coerceBoolean(value);
    else if (sub.type !== 'integer' && sub.type !== 'decimal' && typeof value !== 'string') return undefined;
    if (value === undefined) return undefined;
    return { [sub.name]: value };
  }
  if (filter.kind === 'and') {
    const out: JsonObject = {};
    for (const part of filter.filters) {
      const seed = seedFromFilter(part, attribute);
      if (!seed) return undefined;
      for (const [k, v] of Object.entries(seed)) {
        if (k in out && out[k] !== v) return undefined;
        out[k] = v;
      }
    }
    return out;
  }
  return undefined;
}
