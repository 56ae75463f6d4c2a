import {
  coerceAttributeValue,
  coerceSimpleValue,
  isPlainObject,
  isUnassigned,
  type JsonObject,
} from '../resource';
import { COMMON_ATTRIBUTES, findByName, type ScimAttribute, type ScimResourceDefinition } from '../schema';
import type { PatchOperation } from './apply-patch';

const COERCE = { dropReadOnly: true } as const;

/** `attr` or `attr.sub`: no value filter, no schema URN. */
const SIMPLE_PATH = /^([A-Za-z][\w-]*)(?:\.([A-Za-z][\w-]*))?$/;

/**
 * What a PATCH sets, when all it does is set values the stored resource cannot change: every operation an `add`
 * or `replace` of a readWrite, single-valued, simple attribute of the core schema (`active`, `userName`), or of a
 * simple sub-attribute of a single-valued complex one (`name.givenName`), to a value that assigns something.
 * Okta's deactivation (`replace` with `{"active": false}`) and Entra's `Replace` of `active` with `"False"` are
 * such PATCHes.
 *
 * The answer is an object to merge into the stored resource: top-level values replace the stored ones, an object
 * (`name`) is merged into the stored object one level down. Applied so, it gives what {@link applyPatch} gives
 * (nothing it checks depends on the stored values of such attributes but the resource's size and attribute
 * counts, which the caller checks where it merges), so the database can apply it in the very statement that
 * writes the resource, without reading it first. The values are coerced as applyPatch coerces them (Entra's
 * `"False"`).
 *
 * Undefined when any operation is anything else (a remove, a null or empty value, a filter, an extension, a
 * multi-valued or readOnly/immutable/writeOnly attribute, a value of the wrong type): the caller then applies
 * the PATCH to the stored resource, which also answers every error as it always does.
 */
export function patchAssignments(
  operations: readonly PatchOperation[],
  definition: ScimResourceDefinition,
): JsonObject | undefined {
  const assigned: JsonObject = {};
  for (const op of operations) {
    if (op.op === 'remove' || !op.hasValue || op.value === null) return undefined;
    if (op.path !== undefined) {
      const target = pathTarget(definition, op.path);
      if (!target || !assign(assigned, target.attribute, target.sub, op.value)) return undefined;
      continue;
    }
    if (!isPlainObject(op.value)) return undefined;
    for (const [key, value] of Object.entries(op.value)) {
      if (key.toLowerCase() === 'schemas') continue;
      const attribute = coreAttribute(definition, key);
      if (!attribute || !isSimple(attribute) || !assign(assigned, attribute, undefined, value)) {
        return undefined;
      }
    }
  }
  return Object.keys(assigned).length > 0 ? assigned : undefined;
}

function pathTarget(
  definition: ScimResourceDefinition,
  path: string,
): { attribute: ScimAttribute; sub?: ScimAttribute } | undefined {
  const [, name = '', subName] = SIMPLE_PATH.exec(path) ?? [];
  const attribute = coreAttribute(definition, name);
  if (!attribute) return undefined;
  if (subName === undefined) return isSimple(attribute) ? { attribute } : undefined;
  if (attribute.type !== 'complex' || attribute.multiValued || attribute.mutability !== 'readWrite') {
    return undefined;
  }
  const sub = findByName(attribute.subAttributes, subName);
  return sub && isSimple(sub) ? { attribute, sub } : undefined;
}

/**
 * Records `attribute = raw` (or `attribute.sub = raw`), coerced as applyPatch coerces it; false when the value is
 * of the wrong type (applyPatch answers that) or assigns nothing (null, "", []: an unassignment).
 */
function assign(
  assigned: JsonObject,
  attribute: ScimAttribute,
  sub: ScimAttribute | undefined,
  raw: unknown,
): boolean {
  let value: unknown;
  try {
    value = sub
      ? coerceSimpleValue(sub, unwrapSingleton(raw), `${attribute.name}.${sub.name}`)
      : coerceAttributeValue(attribute, raw, attribute.name, COERCE);
  } catch {
    return false;
  }
  if (isUnassigned(value)) return false;
  if (!sub) {
    assigned[attribute.name] = value;
    return true;
  }
  const holder = assigned[attribute.name];
  if (isPlainObject(holder)) holder[sub.name] = value;
  else assigned[attribute.name] = { [sub.name]: value };
  return true;
}

/** A core (or common) attribute named without a schema URN; never an extension's. */
function coreAttribute(definition: ScimResourceDefinition, name: string): ScimAttribute | undefined {
  if (name === '') return undefined;
  return findByName(definition.coreSchema.attributes, name) ?? findByName(COMMON_ATTRIBUTES, name);
}

function isSimple(attribute: ScimAttribute): boolean {
  return attribute.type !== 'complex' && !attribute.multiValued && attribute.mutability === 'readWrite';
}

function unwrapSingleton(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 ? (value as unknown[])[0] : value;
}
