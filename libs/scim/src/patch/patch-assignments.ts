import { parsePath } from '../filter';
import { isPlainObject, isUnassigned, type JsonObject } from '../resource';
import { COMMON_ATTRIBUTES, findByName, type ScimAttribute, type ScimResourceDefinition } from '../schema';
import { applyPatch, type PatchOperation } from './apply-patch';

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
 * writes the resource, without reading it first. The values are computed by applyPatch itself (on a resource
 * that has nothing yet), so they are coerced exactly as it coerces them (Entra's `"False"`).
 *
 * Undefined when any operation is anything else (a remove, a null or empty value, a filter, an extension, a
 * multi-valued or readOnly/immutable/writeOnly attribute), or when applyPatch refuses one: the caller then
 * applies the PATCH to the stored resource, which also answers every error as it always does.
 */
export function patchAssignments(
  operations: readonly PatchOperation[],
  definition: ScimResourceDefinition,
): JsonObject | undefined {
  if (!operations.every((op) => assigns(op, definition))) return undefined;
  let resource: JsonObject;
  try {
    const result = applyPatch({ schemas: [definition.coreSchema.id] }, operations, definition);
    if (result.password !== undefined || result.members !== undefined) return undefined;
    resource = result.resource;
  } catch {
    return undefined;
  }
  const { schemas: _schemas, ...assigned } = resource;
  for (const value of Object.values(assigned)) {
    if (isPlainObject(value) ? Object.values(value).some(isUnassigned) : isUnassigned(value))
      return undefined;
  }
  return Object.keys(assigned).length > 0 ? assigned : undefined;
}

function assigns(op: PatchOperation, definition: ScimResourceDefinition): boolean {
  if (op.op === 'remove' || !op.hasValue || op.value === null) return false;
  if (op.path === undefined) {
    if (!isPlainObject(op.value)) return false;
    return Object.entries(op.value).every(
      ([key, value]) =>
        key.toLowerCase() === 'schemas' || (value !== null && isSimple(coreAttribute(definition, key))),
    );
  }
  let parsed: ReturnType<typeof parsePath>;
  try {
    parsed = parsePath(op.path);
  } catch {
    return false;
  }
  if (parsed.valueFilter !== undefined) return false;
  const [name = '', dotted, ...more] = parsed.attrPath.split('.');
  const subName = dotted ?? parsed.subAttr;
  if (more.length > 0 || (dotted !== undefined && parsed.subAttr !== undefined)) return false;
  const attribute = coreAttribute(definition, name);
  if (subName === undefined) return isSimple(attribute);
  if (
    !attribute ||
    attribute.type !== 'complex' ||
    attribute.multiValued ||
    attribute.mutability !== 'readWrite'
  ) {
    return false;
  }
  return isSimple(findByName(attribute.subAttributes, subName));
}

/** A core (or common) attribute named without a schema URN; never an extension's. */
function coreAttribute(definition: ScimResourceDefinition, name: string): ScimAttribute | undefined {
  if (name === '' || name.toLowerCase().startsWith('urn:')) return undefined;
  return findByName(definition.coreSchema.attributes, name) ?? findByName(COMMON_ATTRIBUTES, name);
}

function isSimple(attribute: ScimAttribute | undefined): boolean {
  return (
    attribute !== undefined &&
    attribute.type !== 'complex' &&
    !attribute.multiValued &&
    attribute.mutability === 'readWrite'
  );
}
