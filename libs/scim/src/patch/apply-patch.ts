import { ScimException } from '../scim.exception';
import { limitExceeded, MAX_MEMBERS_PER_REQUEST, MAX_PATCH_OPERATIONS } from '../scim-limits';
import { parsePath, type FilterNode } from '../filter';
import {
  ALL_SCHEMAS,
  COMMON_ATTRIBUTES,
  findByName,
  findSchemaByUrnPrefix,
  SCIM_SCHEMAS,
  type ScimAttribute,
  type ScimResourceDefinition,
  type ScimSchemaDefinition,
} from '../schema';
import {
  appendDistinct,
  checkAttributeCount,
  checkValueCount,
  coerceAttributeValue,
  coerceComplexValue,
  coerceSimpleValue,
  deepClone,
  deepEqual,
  enforceSinglePrimary,
  findKey,
  getIgnoringCase,
  invalidValue,
  isPlainObject,
  isUnassigned,
  KeyIndex,
  type JsonObject,
  type ScimResource,
} from '../resource';
import { MemberChanges, type MembersChange } from './member-changes';
import { compileValueFilter, seedFromFilter } from './value-filter';

/*
 * RFC 7644 §3.5.2 PATCH, applied to a stored resource. Pure and atomic: the input is never modified, the
 * operations run on a deep copy, and the first failing operation throws a ScimException (nothing applied).
 *
 * Decisions (what Okta and Microsoft Entra ID send, and RFC 7644):
 * - Body: `schemas` must contain the PatchOp URN and `Operations` (any casing of the key) must be a non-empty
 *   array, else 400 invalidSyntax; more than MAX_PATCH_OPERATIONS operations → 400 invalidValue. `op` is add/replace/remove in any casing (Entra sends `Replace`); anything
 *   else is 400 invalidSyntax. An empty-string `path` counts as no path.
 * - Paths are parsed by the filter library's `parsePath`; a syntax error is 400 invalidPath, an attribute the
 *   schemas do not define is 400 invalidPath. An unqualified name that only an extension defines (Entra's
 *   `manager`) resolves to that extension.
 * - Paths under a schema URN we do not model (`urn:…:CustomExtension:2.0:User:attr`, Entra custom attributes)
 *   are applied without type checks under that URN key (the resource keeps what the IdP sent), so unknown
 *   extensions round-trip through PATCH as they do through POST/PUT. A standard schema of another resource
 *   type (the enterprise User extension on a Group) is 400 invalidPath.
 * - Values are type-checked (400 invalidValue). "True"/"False" strings become booleans; a bare string for a
 *   complex attribute with a `value` sub-attribute becomes `{ value }` and a one-element array for a
 *   single-valued attribute is unwrapped (Entra's `manager`); `null` means unassign.
 * - add on a multi-valued attribute appends the values not already present; replace without a filter replaces
 *   the whole array; add/replace on a single-valued complex attribute merges sub-attributes (RFC §3.5.2.3),
 *   except that a new `value` (another manager) replaces the reference whole, so no stale `$ref` survives.
 * - add OR replace on a filtered path that matches nothing creates the element from the filter's `eq` terms
 *   (`emails[type eq "work"].value` → push `{ type: 'work', value }`): Entra sends `Replace` for a work email the
 *   user does not have yet. RFC §3.5.2.3 says noTarget; a filter that cannot describe an element (or/not/co…)
 *   still gets 400 noTarget.
 * - remove with a filter matching nothing is a no-op; remove without a path is 400 noTarget.
 * - readOnly attributes (`id`, `meta`, `groups`, `manager.displayName`) → 400 mutability; but in a path-less
 *   value object an `id` equal to the resource's own id is ignored (Okta group rename sends it; when the id is
 *   known neither from `options.resourceId` nor from `resource.id` it is ignored too), as is any readOnly
 *   attribute whose value equals the current one (or both are empty), and `schemas`.
 * - immutable attributes may be added when absent, not changed or removed (400 mutability).
 * - Removing or unassigning (null, "") a required attribute (`userName`, Group `displayName`) → 400
 *   mutability, as RFC 7644 §3.5.2 says.
 * - `primary: true` stays unique: the element this operation set primary wins, the others become false.
 * - `password` (add/replace, with or without path) is extracted and returned, never stored; remove is a no-op.
 * - Group `members` are never applied to the resource (they live in their own table): the operations add up to
 *   one net change (see MembersChange), so that a request costs two statements however many operations it
 *   has. Member ids must be non-empty strings (400 invalidValue); more than MAX_MEMBERS_PER_REQUEST of them in
 *   all the operations → 400 invalidValue. A `members[...]` filter must be `value eq "…"` terms joined by `or`
 *   (400 invalidFilter otherwise).
 * - A multi-valued attribute may not grow past MAX_VALUES_PER_ATTRIBUTE values (400 invalidValue).
 * - Every operation costs time in proportion to the values it touches, never to the size of the resource: the
 *   working copy is edited in place through a KeyIndex, and duplicates are found through canonical keys.
 * - `changed` says whether the resource object changed; member changes and the password are reported apart.
 */

export interface PatchResult {
  resource: ScimResource;
  /** The cleartext password set by the request, if any (never stored in `resource`). */
  password?: string;
  /** Whether `resource` differs from the input. */
  changed: boolean;
  /** The net change to a group's members (Group resources only; absent when the request names none). */
  members?: MembersChange;
}

export interface ApplyPatchOptions {
  /** The resource's id, when `resource` does not carry it (used to accept Okta's echoed `id`). */
  resourceId?: string;
}

type OpName = 'add' | 'replace' | 'remove';

export interface PatchOperation {
  op: OpName;
  path?: string;
  value: unknown;
  hasValue: boolean;
  /** 1-based position, for error messages. */
  index: number;
}

type Target =
  | {
      kind: 'typed';
      schema: ScimSchemaDefinition;
      attribute: ScimAttribute;
      filter?: FilterNode;
      sub?: ScimAttribute;
      text: string;
    }
  | { kind: 'extension'; schema: ScimSchemaDefinition; text: string }
  | { kind: 'untyped'; urn: string; attr?: string; sub?: string; text: string };

const COERCE = { dropReadOnly: true } as const;

function syntax(detail: string): ScimException {
  return new ScimException(400, 'invalidSyntax', detail);
}

function mutability(detail: string): ScimException {
  return new ScimException(400, 'mutability', detail);
}

function invalidPath(detail: string): ScimException {
  return new ScimException(400, 'invalidPath', detail);
}

function noTarget(detail: string): ScimException {
  return new ScimException(400, 'noTarget', detail);
}

/** Validates a PATCH body (RFC 7644 §3.5.2) and returns its operations. */
export function parsePatchBody(body: unknown): PatchOperation[] {
  if (!isPlainObject(body)) throw syntax('The PATCH body must be a JSON object.');
  const schemas = getIgnoringCase(body, 'schemas');
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SCIM_SCHEMAS.patchOp.toLowerCase())
  ) {
    throw syntax(`The PATCH body must have "schemas": ["${SCIM_SCHEMAS.patchOp}"].`);
  }
  const operations = getIgnoringCase(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw syntax('The PATCH body must have a non-empty "Operations" array.');
  }
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw limitExceeded(
      `The PATCH request has ${operations.length} operations; the limit is ${MAX_PATCH_OPERATIONS} operations per request.`,
    );
  }
  return operations.map((raw, i) => {
    const index = i + 1;
    if (!isPlainObject(raw)) throw syntax(`Operation ${index} must be an object.`);
    const op = getIgnoringCase(raw, 'op');
    const name = typeof op === 'string' ? op.toLowerCase() : undefined;
    if (name !== 'add' && name !== 'replace' && name !== 'remove') {
      throw syntax(
        `Operation ${index}: "op" must be "add", "replace" or "remove", got ${JSON.stringify(op)}.`,
      );
    }
    const path = getIgnoringCase(raw, 'path');
    if (path !== undefined && path !== null && typeof path !== 'string') {
      throw new ScimException(400, 'invalidPath', `Operation ${index}: "path" must be a string.`);
    }
    const valueKey = findKey(raw, 'value');
    const hasValue = valueKey !== undefined && raw[valueKey] !== undefined;
    if (name !== 'remove' && !hasValue) {
      throw syntax(`Operation ${index}: "${name}" requires a "value".`);
    }
    const trimmed = typeof path === 'string' && path.trim() !== '' ? path.trim() : undefined;
    return {
      op: name,
      ...(trimmed !== undefined ? { path: trimmed } : {}),
      value: valueKey === undefined ? undefined : raw[valueKey],
      hasValue,
      index,
    };
  });
}

/**
 * Applies the operations of a PATCH request ({@link parsePatchBody}) to `resource` for the given resource type;
 * see the decisions above. Throws a ScimException (400) when any operation is invalid; the input is never
 * modified.
 */
export function applyPatch(
  resource: ScimResource,
  operations: readonly PatchOperation[],
  definition: ScimResourceDefinition,
  options: ApplyPatchOptions = {},
): PatchResult {
  const patcher = new Patcher(resource, definition, options);
  for (const operation of operations) patcher.apply(operation);
  return patcher.result();
}

class Patcher {
  private readonly doc: ScimResource;
  private readonly core: ScimSchemaDefinition;
  private readonly isGroup: boolean;
  private readonly resourceId: string | undefined;
  /** The keys of `doc`'s objects; every key `doc` gains or loses goes through it. */
  private readonly keys = new KeyIndex();
  private password: string | undefined;
  private readonly members = new MemberChanges();
  private membersNamed = 0;
  private listedSchemas: Set<string> | undefined;
  private op!: PatchOperation;

  constructor(
    private readonly original: ScimResource,
    private readonly definition: ScimResourceDefinition,
    options: ApplyPatchOptions,
  ) {
    this.doc = deepClone(original);
    this.core = definition.coreSchema;
    this.isGroup = definition.name === 'Group';
    const ownId = options.resourceId ?? original['id'];
    this.resourceId = typeof ownId === 'string' ? ownId : undefined;
  }

  result(): PatchResult {
    this.checkRequired();
    this.checkAttributeCounts();
    const members = this.members.result();
    return {
      resource: this.doc,
      ...(this.password !== undefined ? { password: this.password } : {}),
      changed: !deepEqual(this.original, this.doc),
      ...(members ? { members } : {}),
    };
  }

  apply(operation: PatchOperation): void {
    this.op = operation;
    if (operation.path === undefined) {
      if (operation.op === 'remove') throw noTarget(this.at('"remove" requires a "path".'));
      this.applyPathless(operation.value);
      return;
    }
    const target = this.resolve(operation.path);
    this.applyTarget(target, operation.op, operation.value, operation.hasValue, false);
  }

  private at(detail: string): string {
    return `Operation ${this.op.index}: ${detail}`;
  }

  // ---- path resolution -------------------------------------------------------------------------------

  private resolve(text: string): Target {
    const parsed = parsePath(text);
    const { attrPath, valueFilter, subAttr } = parsed;
    let schema = this.core;
    let rest = attrPath;
    let qualified = false;
    if (attrPath.toLowerCase().startsWith('urn:')) {
      const found = findSchemaByUrnPrefix(this.definition, attrPath);
      if (!found)
        return this.untypedTarget(attrPath, text, valueFilter !== undefined || subAttr !== undefined);
      if (found.rest === '') {
        if (found.schema === this.core || valueFilter || subAttr) {
          throw invalidPath(this.at(`'${text}' does not name an attribute.`));
        }
        return { kind: 'extension', schema: found.schema, text };
      }
      ({ schema, rest } = found);
      qualified = true;
    }
    const [attrName = '', dotted] = rest.split('.');
    let attribute = findByName(schema.attributes, attrName);
    if (!attribute && schema === this.core) attribute = findByName(COMMON_ATTRIBUTES, attrName);
    if (!attribute && schema === this.core && !qualified) {
      // Lenient: an unqualified extension attribute (`manager`) when exactly one extension defines it.
      const owners = this.definition.extensions.filter((e) => findByName(e.attributes, attrName));
      if (owners.length === 1 && owners[0]) {
        schema = owners[0];
        attribute = findByName(schema.attributes, attrName);
      }
    }
    if (!attribute) throw invalidPath(this.at(`Unknown attribute '${attrPath}'.`));
    if (valueFilter && !attribute.multiValued) {
      throw invalidPath(this.at(`'${attribute.name}' is single-valued and cannot take a value filter.`));
    }
    const subName = dotted ?? subAttr;
    let sub: ScimAttribute | undefined;
    if (subName !== undefined) {
      sub = findByName(attribute.subAttributes, subName);
      if (!sub) throw invalidPath(this.at(`Unknown sub-attribute '${attribute.name}.${subName}'.`));
    }
    return {
      kind: 'typed',
      schema,
      attribute,
      ...(valueFilter ? { filter: valueFilter } : {}),
      ...(sub ? { sub } : {}),
      text,
    };
  }

  private untypedTarget(attrPath: string, text: string, hasFilterOrSub: boolean): Target {
    this.assertNotForeign(attrPath);
    if (hasFilterOrSub) {
      throw invalidPath(this.at(`Value filters are not supported under the unknown schema in '${text}'.`));
    }
    const whole = this.keys.keyOf(this.doc, attrPath);
    const colon = attrPath.lastIndexOf(':');
    const last = attrPath.slice(colon + 1);
    if (whole !== undefined || last.toLowerCase() === this.definition.name.toLowerCase()) {
      return { kind: 'untyped', urn: attrPath, text };
    }
    const [attr, sub] = last.split('.');
    return {
      kind: 'untyped',
      urn: attrPath.slice(0, colon),
      ...(attr ? { attr } : {}),
      ...(sub ? { sub } : {}),
      text,
    };
  }

  /** A URN path under a standard schema this resource type does not have (enterprise User on a Group). */
  private assertNotForeign(urnPath: string): void {
    const lower = urnPath.toLowerCase();
    const foreign = ALL_SCHEMAS.find(
      (s) => lower === s.id.toLowerCase() || lower.startsWith(`${s.id.toLowerCase()}:`),
    );
    if (foreign) {
      throw invalidPath(this.at(`Schema '${foreign.id}' does not apply to a ${this.definition.name}.`));
    }
  }

  // ---- containers ------------------------------------------------------------------------------------

  private schemasList(): string[] {
    const list = this.keys.get(this.doc, 'schemas');
    if (Array.isArray(list)) return list as string[];
    const fresh: string[] = [this.core.id];
    this.keys.set(this.doc, 'schemas', fresh);
    return fresh;
  }

  /** The lower-cased URNs in `schemas`, so that listing one does not scan the list in every operation. */
  private listed(): Set<string> {
    this.listedSchemas ??= new Set(
      this.schemasList()
        .filter((s) => typeof s === 'string')
        .map((s) => s.toLowerCase()),
    );
    return this.listedSchemas;
  }

  private listSchema(urn: string): void {
    if (this.listed().has(urn.toLowerCase())) return;
    const list = this.schemasList();
    checkValueCount('schemas', list.length + 1);
    list.push(urn);
    this.listed().add(urn.toLowerCase());
  }

  private unlistSchema(urn: string): void {
    if (!this.listed().delete(urn.toLowerCase())) return;
    const list = this.schemasList();
    const i = list.findIndex((s) => typeof s === 'string' && s.toLowerCase() === urn.toLowerCase());
    if (i >= 0) list.splice(i, 1);
  }

  /** The object holding `schema`'s attributes (the resource, or its extension object); created on demand. */
  private container(schema: ScimSchemaDefinition, create: true): JsonObject;
  private container(schema: ScimSchemaDefinition, create: boolean): JsonObject | undefined;
  private container(schema: ScimSchemaDefinition, create: boolean): JsonObject | undefined {
    if (schema === this.core) return this.doc;
    return this.extensionObject(schema.id, create);
  }

  /** The current value of a top-level attribute of `schema`. */
  private currentValue(schema: ScimSchemaDefinition, attribute: ScimAttribute): unknown {
    const holder = this.container(schema, false);
    return holder ? this.keys.get(holder, attribute.name) : undefined;
  }

  private extensionObject(urn: string, create: boolean): JsonObject | undefined {
    const key = this.keys.keyOf(this.doc, urn);
    const existing = key === undefined ? undefined : this.doc[key];
    if (isPlainObject(existing)) {
      if (key !== urn) this.keys.set(this.doc, urn, existing);
      return existing;
    }
    if (!create) return undefined;
    const fresh: JsonObject = {};
    this.keys.set(this.doc, urn, fresh);
    this.listSchema(urn);
    return fresh;
  }

  /** Drops an extension object left empty, and its URN from `schemas`. */
  private pruneExtension(urn: string): void {
    const value = this.keys.get(this.doc, urn);
    if (isPlainObject(value) && this.keys.isEmpty(value)) {
      this.keys.delete(this.doc, urn);
      this.unlistSchema(urn);
    }
  }

  /** Sets a multi-valued attribute, or removes it when no value is left. */
  private setValues(holder: JsonObject, name: string, values: unknown[]): void {
    if (values.length > 0) this.keys.set(holder, name, values);
    else this.keys.delete(holder, name);
  }

  // ---- path-less operations --------------------------------------------------------------------------

  private applyPathless(value: unknown): void {
    if (!isPlainObject(value)) {
      throw invalidValue(this.at('without a "path", "value" must be an object of attributes.'));
    }
    checkAttributeCount(this.at('the value'), value);
    const op = this.op.op;
    for (const [key, raw] of Object.entries(value)) {
      if (key.toLowerCase() === 'schemas') continue;
      if (key.toLowerCase().startsWith('urn:')) {
        const found = findSchemaByUrnPrefix(this.definition, key);
        if (found && found.rest === '' && found.schema !== this.core) {
          // A whole extension object keyed by its URN: each of its attributes is added/replaced.
          if (raw === null) {
            this.applyTarget(
              { kind: 'extension', schema: found.schema, text: key },
              'remove',
              undefined,
              false,
              true,
            );
            continue;
          }
          if (!isPlainObject(raw)) throw invalidValue(this.at(`'${found.schema.id}' must be an object.`));
          for (const [attrKey, attrRaw] of Object.entries(raw)) {
            this.applyTarget(this.resolve(`${found.schema.id}:${attrKey}`), op, attrRaw, true, true);
          }
          continue;
        }
        if (!found) this.assertNotForeign(key);
        if (!found && isPlainObject(raw) && this.keys.keyOf(this.doc, key) === undefined) {
          const last = key.slice(key.lastIndexOf(':') + 1);
          if (last.toLowerCase() === this.definition.name.toLowerCase()) {
            this.applyTarget({ kind: 'untyped', urn: key, text: key }, op, raw, true, true);
            continue;
          }
        }
      }
      this.applyTarget(this.resolve(key), op, raw, true, true);
    }
  }

  // ---- applying to a target --------------------------------------------------------------------------

  private applyTarget(
    target: Target,
    op: OpName,
    value: unknown,
    hasValue: boolean,
    implicit: boolean,
  ): void {
    switch (target.kind) {
      case 'extension':
        return this.applyExtension(target.schema, op, value);
      case 'untyped':
        return this.applyUntyped(target, op, value, implicit);
      case 'typed':
        return this.applyTyped(target, op, value, hasValue, implicit);
    }
  }

  private applyExtension(schema: ScimSchemaDefinition, op: OpName, value: unknown): void {
    if (op === 'remove' || value === null) {
      for (const attribute of schema.attributes) this.checkWritable(schema, attribute, undefined, 'remove');
      if (this.keys.delete(this.doc, schema.id)) this.unlistSchema(schema.id);
      return;
    }
    if (!isPlainObject(value)) throw invalidValue(this.at(`'${schema.id}' must be an object.`));
    const ext = op === 'replace' ? this.extensionObject(schema.id, false) : undefined;
    if (ext) {
      // Replacing the whole extension: attributes not given become unassigned.
      const given = new Set(Object.keys(value).map((k) => k.toLowerCase()));
      for (const attribute of schema.attributes) {
        if (attribute.mutability === 'readOnly' || given.has(attribute.name.toLowerCase())) continue;
        if (this.keys.keyOf(ext, attribute.name) === undefined) continue;
        this.checkWritable(schema, attribute, undefined, 'remove');
        this.keys.delete(ext, attribute.name);
      }
    }
    for (const [key, raw] of Object.entries(value)) {
      this.applyTarget(this.resolve(`${schema.id}:${key}`), op, raw, true, true);
    }
    this.pruneExtension(schema.id);
  }

  private applyUntyped(
    target: Extract<Target, { kind: 'untyped' }>,
    op: OpName,
    value: unknown,
    implicit: boolean,
  ): void {
    const { urn, attr, sub } = target;
    if (attr === undefined) {
      if (op === 'remove' || value === null) {
        if (this.keys.delete(this.doc, urn)) this.unlistSchema(urn);
        return;
      }
      if (!isPlainObject(value)) throw invalidValue(this.at(`'${urn}' must be an object.`));
      checkAttributeCount(this.at(`the value of '${urn}'`), value);
      const ext = this.extensionObject(urn, true) ?? {};
      if (op === 'replace' && !implicit) for (const key of Object.keys(ext)) this.keys.delete(ext, key);
      for (const [key, raw] of Object.entries(value)) {
        if (raw === null) this.keys.delete(ext, key);
        else this.keys.set(ext, this.keys.keyOf(ext, key) ?? key, deepClone(raw));
      }
      this.pruneExtension(urn);
      return;
    }
    const removing = op === 'remove' || value === null;
    const ext = this.extensionObject(urn, !removing);
    if (!ext) return;
    const attrKey = this.keys.keyOf(ext, attr) ?? attr;
    if (sub === undefined) {
      if (removing) this.keys.delete(ext, attrKey);
      else this.keys.set(ext, attrKey, deepClone(value));
    } else {
      const parent = ext[attrKey];
      if (removing) {
        if (isPlainObject(parent)) {
          this.keys.delete(parent, sub);
          if (this.keys.isEmpty(parent)) this.keys.delete(ext, attrKey);
        }
      } else {
        const obj = isPlainObject(parent) ? parent : {};
        this.keys.set(obj, this.keys.keyOf(obj, sub) ?? sub, deepClone(value));
        this.keys.set(ext, attrKey, obj);
      }
    }
    this.pruneExtension(urn);
  }

  private applyTyped(
    target: Extract<Target, { kind: 'typed' }>,
    op: OpName,
    value: unknown,
    hasValue: boolean,
    implicit: boolean,
  ): void {
    const { schema, attribute, filter, sub, text } = target;
    const isCore = schema === this.core;

    if (isCore && attribute.name === 'password' && attribute.mutability === 'writeOnly') {
      if (op === 'remove' || value === null) return;
      if (typeof value !== 'string') throw invalidValue(this.at(`'password' must be a string.`));
      this.password = value;
      return;
    }
    if (isCore && this.isGroup && attribute.name === 'members') {
      this.memberOperation(target, op, value, hasValue);
      return;
    }
    if (attribute.mutability === 'readOnly' || sub?.mutability === 'readOnly') {
      if (implicit && !sub && !filter) {
        const current = this.currentValue(schema, attribute);
        const own = attribute.name === 'id' && isCore ? (this.resourceId ?? current) : current;
        if (own === undefined && attribute.name === 'id') return; // the id is not known here: nothing to check
        if (deepEqual(own, value) || (isUnassigned(own) && isUnassigned(value))) return;
      }
      throw mutability(this.at(`'${text}' is readOnly.`));
    }

    if (!sub && !filter) {
      this.applyWhole(schema, attribute, op, value, hasValue, text);
    } else if (!filter && sub) {
      if (attribute.multiValued) this.applyAllElementsSub(schema, attribute, sub, op, value, text);
      else this.applySingleSub(schema, attribute, sub, op, value, text);
    } else if (filter) {
      this.applyFiltered(schema, attribute, filter, sub, op, value, text);
    }
    if (!isCore) this.pruneExtension(schema.id);
  }

  private checkWritable(
    schema: ScimSchemaDefinition,
    attribute: ScimAttribute,
    next: unknown,
    op: OpName,
    current?: unknown,
  ): void {
    if (attribute.mutability !== 'immutable') return;
    const existing = current !== undefined ? current : this.currentValue(schema, attribute);
    if (existing === undefined) return;
    if (op === 'remove' || !deepEqual(existing, next)) {
      throw mutability(this.at(`'${attribute.name}' is immutable and already has a value.`));
    }
  }

  private applyWhole(
    schema: ScimSchemaDefinition,
    attribute: ScimAttribute,
    op: OpName,
    value: unknown,
    hasValue: boolean,
    text: string,
  ): void {
    const holder = this.container(schema, op !== 'remove' && value !== null);
    if (!holder) return;
    const current = this.keys.get(holder, attribute.name);

    if (op === 'remove') {
      if (attribute.multiValued && hasValue && value !== null && Array.isArray(current)) {
        // Entra (legacy): remove the listed values of a multi-valued attribute.
        const listed: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
        this.setValues(holder, attribute.name, this.withoutListed(current as unknown[], listed));
        return;
      }
      this.checkWritable(schema, attribute, undefined, 'remove');
      this.keys.delete(holder, attribute.name);
      return;
    }

    const next = coerceAttributeValue(attribute, value, text, COERCE);
    if (next === undefined) {
      this.checkWritable(schema, attribute, undefined, 'remove');
      this.keys.delete(holder, attribute.name);
      return;
    }
    if (attribute.multiValued) {
      const incoming = next as unknown[];
      if (op === 'add') {
        const merged: unknown[] = Array.isArray(current) ? [...(current as unknown[])] : [];
        const positions = appendDistinct(merged, incoming, (v) => this.keys.canonicalKey(v));
        checkValueCount(attribute.name, merged.length);
        enforceSinglePrimary(merged, lastPrimary(merged, positions));
        this.checkWritable(schema, attribute, merged, op, current);
        this.keys.set(holder, attribute.name, merged);
      } else {
        this.checkWritable(schema, attribute, incoming, op, current);
        this.keys.set(holder, attribute.name, incoming);
      }
      return;
    }
    if (attribute.type === 'complex' && isPlainObject(current) && isPlainObject(next)) {
      // Sub-attributes not given are kept (RFC 7644 §3.5.2.3), except that a new `value` (manager id) makes
      // the old `$ref`/`displayName` stale: then the value object replaces the reference as a whole.
      if (next['value'] !== undefined && !deepEqual(this.keys.get(current, 'value'), next['value'])) {
        this.checkWritable(schema, attribute, next, op, current);
        this.keys.set(holder, attribute.name, next);
        return;
      }
      // Merged in place: a copy of a large object in every operation would cost its size each time.
      if (attribute.mutability === 'immutable') {
        this.checkWritable(schema, attribute, { ...current, ...next }, op, current);
      }
      for (const [key, sub] of Object.entries(next)) this.keys.set(current, key, sub);
      this.keys.set(holder, attribute.name, current);
      return;
    }
    this.checkWritable(schema, attribute, next, op, current);
    this.keys.set(holder, attribute.name, next);
  }

  /**
   * The elements of `current` that none of `listed` designates: a listed value equal to the element, or (for a
   * complex element) a listed value, or a listed object's `value`, equal to the element's `value`. Sets of
   * values keep it linear.
   */
  private withoutListed(current: unknown[], listed: unknown[]): unknown[] {
    const keyOf = (v: unknown): string => this.keys.canonicalKey(v);
    const plain = new JsonValueSet(keyOf);
    const designated = new JsonValueSet(keyOf);
    const whole = new JsonValueSet(keyOf);
    for (const item of listed) {
      if (!isPlainObject(item)) {
        plain.add(item);
        designated.add(item);
        continue;
      }
      const value = getIgnoringCase(item, 'value');
      // An object with a `value` designates every element with that value, itself included.
      if (value === undefined) whole.add(item);
      else designated.add(value);
    }
    return current.filter((element) => {
      if (!isPlainObject(element)) return !plain.has(element);
      const value = this.keys.get(element, 'value');
      return !(value !== undefined && designated.has(value)) && !whole.has(element);
    });
  }

  private applySingleSub(
    schema: ScimSchemaDefinition,
    attribute: ScimAttribute,
    sub: ScimAttribute,
    op: OpName,
    value: unknown,
    text: string,
  ): void {
    const removing = op === 'remove' || value === null;
    const holder = this.container(schema, !removing);
    if (!holder) return;
    const parent = this.keys.get(holder, attribute.name);
    const obj: JsonObject = isPlainObject(parent) ? parent : {};
    const current = this.keys.get(obj, sub.name);
    if (removing) {
      if (sub.mutability === 'immutable' && current !== undefined) {
        throw mutability(this.at(`'${text}' is immutable.`));
      }
      this.keys.delete(obj, sub.name);
    } else {
      const next = coerceSimpleValue(sub, unwrapSingleton(value), text);
      if (sub.mutability === 'immutable' && current !== undefined && !deepEqual(current, next)) {
        throw mutability(this.at(`'${text}' is immutable.`));
      }
      this.keys.set(obj, sub.name, next);
    }
    if (this.keys.isEmpty(obj)) this.keys.delete(holder, attribute.name);
    else this.keys.set(holder, attribute.name, obj);
  }

  /** `emails.value` (a sub-attribute of a multi-valued attribute, no filter): every element. */
  private applyAllElementsSub(
    schema: ScimSchemaDefinition,
    attribute: ScimAttribute,
    sub: ScimAttribute,
    op: OpName,
    value: unknown,
    text: string,
  ): void {
    const removing = op === 'remove' || value === null;
    const holder = this.container(schema, !removing);
    if (!holder) return;
    const current = this.keys.get(holder, attribute.name);
    const elements: unknown[] = Array.isArray(current) ? (current as unknown[]) : [];
    if (removing) {
      for (const e of elements) if (isPlainObject(e)) this.keys.delete(e, sub.name);
      this.setValues(holder, attribute.name, this.nonEmpty(elements));
      return;
    }
    const next = coerceSimpleValue(sub, value, text);
    if (elements.length === 0) elements.push({});
    for (const e of elements) if (isPlainObject(e)) this.keys.set(e, sub.name, next);
    enforceSinglePrimary(elements, sub.name === 'primary' && next === true ? elements.length - 1 : undefined);
    this.keys.set(holder, attribute.name, elements);
  }

  /** The elements that are not objects left without sub-attributes. */
  private nonEmpty(elements: unknown[]): unknown[] {
    return elements.filter((e) => !(isPlainObject(e) && this.keys.isEmpty(e)));
  }

  private applyFiltered(
    schema: ScimSchemaDefinition,
    attribute: ScimAttribute,
    filter: FilterNode,
    sub: ScimAttribute | undefined,
    op: OpName,
    value: unknown,
    text: string,
  ): void {
    const removing = op === 'remove' || (sub !== undefined && value === null);
    const holder = this.container(schema, !removing);
    if (!holder) return;
    const current = this.keys.get(holder, attribute.name);
    const elements: unknown[] = Array.isArray(current) ? [...(current as unknown[])] : [];
    const matches = compileValueFilter(filter, attribute, (obj, name) => this.keys.get(obj, name));
    const matched: number[] = [];
    elements.forEach((e, i) => {
      if (matches(e)) matched.push(i);
    });

    if (removing && sub) {
      if (matched.length === 0) return;
      for (const i of matched) {
        const e = elements[i];
        if (isPlainObject(e)) this.keys.delete(e, sub.name);
      }
      this.setValues(holder, attribute.name, this.nonEmpty(elements));
      return;
    }
    if (removing || value === null) {
      // Removing the matching values, or (replace/add with null) unassigning them.
      if (matched.length > 0) this.setValues(holder, attribute.name, withoutPositions(elements, matched));
      return;
    }
    const touched =
      matched.length === 0
        ? this.addSeeded(elements, attribute, filter, sub, value, text)
        : this.updateMatched(elements, matched, attribute, sub, op, value, text);
    checkValueCount(attribute.name, elements.length);
    enforceSinglePrimary(elements, lastPrimary(elements, touched));
    this.keys.set(holder, attribute.name, elements);
  }

  /**
   * Add or replace on a filter that matches nothing: the element the filter describes, with the value
   * (Entra's `Replace` of a work email the user does not have). Returns its position.
   */
  private addSeeded(
    elements: unknown[],
    attribute: ScimAttribute,
    filter: FilterNode,
    sub: ScimAttribute | undefined,
    value: unknown,
    text: string,
  ): number[] {
    const single = unwrapSingleton(value);
    const given = sub
      ? { [sub.name]: coerceSimpleValue(sub, single, text) }
      : coerceComplexValue(attribute, single, text, COERCE);
    const seed = seedFromFilter(filter, attribute);
    if (!seed) throw noTarget(this.at(`No value of '${attribute.name}' matches '${text}'.`));
    elements.push({ ...seed, ...given });
    return [elements.length - 1];
  }

  /** Sets the value (or its sub-attribute) of every matched element, in place; returns their positions. */
  private updateMatched(
    elements: unknown[],
    matched: number[],
    attribute: ScimAttribute,
    sub: ScimAttribute | undefined,
    op: OpName,
    value: unknown,
    text: string,
  ): number[] {
    const single = unwrapSingleton(value);
    if (sub) {
      const next = coerceSimpleValue(sub, single, text);
      for (const i of matched) {
        const e = elements[i];
        if (isPlainObject(e)) this.keys.set(e, sub.name, next);
      }
      return matched;
    }
    const next = coerceComplexValue(attribute, single, text, COERCE);
    const subs = Object.entries(next ?? {});
    for (const i of matched) {
      const e = elements[i];
      if (op === 'replace' || !isPlainObject(e)) elements[i] = { ...next };
      else for (const [key, v] of subs) this.keys.set(e, key, v);
    }
    return matched;
  }

  // ---- group members ---------------------------------------------------------------------------------

  private memberOperation(
    target: Extract<Target, { kind: 'typed' }>,
    op: OpName,
    value: unknown,
    hasValue: boolean,
  ): void {
    if (target.sub) {
      throw invalidPath(this.at(`'${target.text}': only whole members can be added, replaced or removed.`));
    }
    if (target.filter) {
      if (op !== 'remove') {
        throw invalidPath(this.at(`'${target.text}': a members filter is only supported with "remove".`));
      }
      this.members.remove(this.named(memberIdsFromFilter(target.filter, this.op.index)));
      return;
    }
    if (op === 'remove') {
      if (hasValue && value !== null) this.members.remove(this.memberIds(value));
      else this.members.removeAll();
      return;
    }
    const values = value === null ? [] : this.memberIds(value);
    if (op === 'add') this.members.add(values);
    else this.members.replace(values);
  }

  private memberIds(value: unknown): string[] {
    const items: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
    this.named(items);
    const ids: string[] = [];
    for (const item of items) {
      if (item === null) continue;
      const id =
        typeof item === 'string' ? item : isPlainObject(item) ? getIgnoringCase(item, 'value') : item;
      if (typeof id !== 'string' || id.trim() === '') {
        throw invalidValue(this.at(`each member must have a non-empty string "value" (a member id).`));
      }
      ids.push(id);
    }
    return ids;
  }

  /** Counts the members a request names, refusing more than {@link MAX_MEMBERS_PER_REQUEST} before using them. */
  private named<T>(members: T[]): T[] {
    this.membersNamed += members.length;
    if (this.membersNamed > MAX_MEMBERS_PER_REQUEST) {
      throw limitExceeded(
        `The request names more than ${MAX_MEMBERS_PER_REQUEST} group members; the limit is ${MAX_MEMBERS_PER_REQUEST} members per request.`,
      );
    }
    return members;
  }

  // ---- what the result must satisfy ------------------------------------------------------------------

  /**
   * The resource, its extension objects and its complex values keep to MAX_ATTRIBUTES_PER_OBJECT, as in a PUT
   * body: otherwise operations, each within the limit, could add up to an object past it.
   */
  private checkAttributeCounts(): void {
    checkAttributeCount(`The ${this.definition.name}`, this.doc);
    for (const [key, value] of Object.entries(this.doc)) {
      if (isPlainObject(value) && key.toLowerCase().startsWith('urn:')) {
        checkAttributeCount(`Extension '${key}'`, value);
      }
    }
    for (const schema of [this.core, ...this.definition.extensions]) {
      for (const attribute of schema.attributes) {
        if (attribute.type !== 'complex') continue;
        const value = this.currentValue(schema, attribute);
        for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
          if (isPlainObject(item)) checkAttributeCount(`Attribute '${attribute.name}'`, item);
        }
      }
    }
  }

  private checkRequired(): void {
    for (const schema of [this.core, ...this.definition.extensions]) {
      for (const attribute of schema.attributes) {
        if (!attribute.required) continue;
        const before =
          schema === this.core
            ? getIgnoringCase(this.original, attribute.name)
            : getIgnoringCase(asObject(getIgnoringCase(this.original, schema.id)), attribute.name);
        const after = this.currentValue(schema, attribute);
        if (!isUnassigned(before) && isUnassigned(after)) {
          throw mutability(`Required attribute '${attribute.name}' cannot be removed or emptied.`);
        }
      }
    }
  }
}

/**
 * A set of JSON values compared by structure: strings, numbers and booleans as themselves, objects and arrays
 * by canonical key (computed only when the set holds some).
 */
class JsonValueSet {
  private readonly scalars = new Set<unknown>();
  private readonly structured = new Set<string>();

  constructor(private readonly keyOf: (value: unknown) => string) {}

  add(value: unknown): void {
    if (typeof value === 'object' && value !== null) this.structured.add(this.keyOf(value));
    else this.scalars.add(value);
  }

  has(value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return this.scalars.has(value);
    return this.structured.size > 0 && this.structured.has(this.keyOf(value));
  }
}

/** `elements` without those at `positions` (ascending). */
function withoutPositions(elements: unknown[], positions: number[]): unknown[] {
  let next = 0;
  return elements.filter((_, i) => {
    if (i !== positions[next]) return true;
    next++;
    return false;
  });
}

/** `[x]` → `x` (Entra wraps single values in a one-element array); anything else unchanged. */
function unwrapSingleton(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 ? (value as unknown[])[0] : value;
}

function asObject(value: unknown): JsonObject {
  return isPlainObject(value) ? value : {};
}

/** The last of `positions` whose element is `primary: true`. */
function lastPrimary(elements: unknown[], positions: number[]): number | undefined {
  for (let i = positions.length - 1; i >= 0; i--) {
    const p = positions[i];
    if (p !== undefined && isPlainObject(elements[p]) && elements[p]['primary'] === true) return p;
  }
  return undefined;
}

/** Member ids of `members[value eq "a" or value eq "b"]`. */
function memberIdsFromFilter(filter: FilterNode, index: number): string[] {
  const terms = filter.kind === 'or' ? filter.filters : [filter];
  return terms.map((term) => {
    if (
      term.kind !== 'compare' ||
      term.op !== 'eq' ||
      term.path.toLowerCase() !== 'value' ||
      typeof term.value !== 'string' ||
      term.value === ''
    ) {
      throw new ScimException(
        400,
        'invalidFilter',
        `Operation ${index}: a members filter must be 'value eq "<id>"' terms joined by 'or'.`,
      );
    }
    return term.value;
  });
}
