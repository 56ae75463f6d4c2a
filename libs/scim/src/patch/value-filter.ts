import { ScimException } from '../scim.exception';
import type { CompareOp, FilterNode, FilterValue } from '../filter';
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

type Scalar = string | number | boolean;

/** Reads a sub-attribute of an element, ignoring case. */
export type SubAttributeReader = (element: JsonObject, name: string) => unknown;

/** Whether one element of a multi-valued attribute matches a value filter. */
export type ElementPredicate = (element: unknown) => boolean;

/**
 * How an element's value becomes comparable with a filter's literal: both converted alike (booleans from
 * "True"/"False", dateTimes as instants, strings lower-cased unless caseExact), or undefined when they cannot
 * be compared. Chosen once per filter, not once per element.
 */
function comparison(
  expected: Exclude<FilterValue, null>,
  sub: ScimAttribute | undefined,
): { expected: Scalar | undefined; actual: (value: unknown) => Scalar | undefined } {
  if (sub?.type === 'boolean' || typeof expected === 'boolean') {
    return { expected: coerceBoolean(expected), actual: coerceBoolean };
  }
  if (sub?.type === 'dateTime' && typeof expected === 'string') {
    const instant = (value: unknown): number | undefined => {
      const t = typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isNaN(t) ? undefined : t;
    };
    return { expected: instant(expected), actual: instant };
  }
  if (typeof expected === 'number') {
    return { expected, actual: (value) => (typeof value === 'number' ? value : undefined) };
  }
  const exact = sub?.caseExact === true;
  return {
    expected: exact ? expected : expected.toLowerCase(),
    actual: (value) => (typeof value !== 'string' ? undefined : exact ? value : value.toLowerCase()),
  };
}

function test(op: CompareOp, a: Scalar, b: Scalar): boolean {
  switch (op) {
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

function compileCompare(
  node: Extract<FilterNode, { kind: 'compare' }>,
  attribute: ScimAttribute,
  get: SubAttributeReader,
): ElementPredicate {
  const { path, op, value } = node;
  if (value === null) {
    return (element) => {
      const actual = get(elementObject(element), path);
      const absent = actual === undefined || actual === null;
      return op === 'eq' ? absent : op === 'ne' && !absent;
    };
  }
  const { expected, actual } = comparison(value, findByName(attribute.subAttributes, path));
  return (element) => {
    const a = actual(get(elementObject(element), path));
    return a === undefined || expected === undefined ? op === 'ne' : test(op, a, expected);
  };
}

/**
 * Compiles a value filter into a test of one element of `attribute`. `get` reads sub-attributes (a PATCH
 * passes its KeyIndex, so that a large element is not scanned again by every operation). Compiled once per
 * operation: an operation tests every element of the attribute.
 */
export function compileValueFilter(
  filter: FilterNode,
  attribute: ScimAttribute,
  get: SubAttributeReader = getIgnoringCase,
): ElementPredicate {
  switch (filter.kind) {
    case 'compare':
      return compileCompare(filter, attribute, get);
    case 'present':
      return (element) => !isUnassigned(get(elementObject(element), filter.path));
    case 'and': {
      const parts = filter.filters.map((f) => compileValueFilter(f, attribute, get));
      return (element) => parts.every((p) => p(element));
    }
    case 'or': {
      const parts = filter.filters.map((f) => compileValueFilter(f, attribute, get));
      return (element) => parts.some((p) => p(element));
    }
    case 'not': {
      const inner = compileValueFilter(filter.filter, attribute, get);
      return (element) => !inner(element);
    }
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
