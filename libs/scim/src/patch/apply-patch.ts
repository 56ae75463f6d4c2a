import { ScimException } from '../scim.exception';
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
  coerceAttributeValue,
  coerceComplexValue,
  coerceSimpleValue,
  deepClone,
  deepEqual,
  deleteIgnoringCase,
  enforceSinglePrimary,
  findKey,
  getIgnoringCase,
  invalidValue,
  isPlainObject,
  isUnassigned,
  setCanonical,
  type JsonObject,
  type ScimResource,
} from '../resource';
import { matchesValueFilter, seedFromFilter } from './value-filter';

/*
 * RFC 7644 §3.5.2 PATCH, applied to a stored resource. Pure and atomic: the input is never modified, the
 * operations run on a deep copy, and the first failing operation throws a ScimException (nothing applied).
 *
 * Decisions (what Okta and Microsoft Entra ID send, and RFC 7644):
 * - Body: `schemas` must contain the PatchOp URN and `Operations` (any casing of the key) must be a non-empty
 *   array, else 400 invalidSyntax. `op` is add/replace/remove in any casing (Entra sends `Replace`); anything
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
 * - Group `members` are never applied to the resource (they live in their own table): they become an ordered
 *   list of member changes; member ids must be non-empty strings (400 invalidValue). A `members[...]` filter
 *   must be `value eq "…"` terms joined by `or` (400 invalidFilter otherwise).
 * - `changed` says whether the resource object changed; member changes and the password are reported apart.
 */

/** One change to a group's membership, in request order. */
export type MemberChange =
  | { kind: 'add'; values: string[] }
  | { kind: 'remove'; values: string[] }
  | { kind: 'removeAll' }
  | { kind: 'replace'; values: string[] };

export interface PatchResult {
  resource: ScimResource;
  /** The cleartext password set by the request, if any (never stored in `resource`). */
  password?: string;
  /** Whether `resource` differs from the input. */
  changed: boolean;
  /** Group membership changes, in order (Group resources only; absent when none). */
  members?: MemberChange[];
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
 * Applies a SCIM PATCH request to `resource` for the given resource type; see the decisions above.
 * Throws a ScimException (400) when any operation is invalid; the input is never modified.
 */
export function applyPatch(
  resource: ScimResource,
  body: unknown,
  definition: ScimResourceDefinition,
  options: ApplyPatchOptions = {},
): PatchResult {
  const operations = parsePatchBody(body);
  const patcher = new Patcher(resource, definition, options);
  for (const operation of operations) patcher.apply(operation);
  return patcher.result();
}

class Patcher {
  private readonly doc: ScimResource;
  private readonly core: ScimSchemaDefinition;
  private readonly isGroup: boolean;
  private readonly resourceId: string | undefined;
  private password: string | undefined;
  private readonly members: MemberChange[] = [];
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
    return {
      resource: this.doc,
      ...(this.password !== undefined ? { password: this.password } : {}),
      changed: !deepEqual(this.original, this.doc),
      ...(this.members.length > 0 ? { members: this.members } : {}),
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
    const whole = findKey(this.doc, attrPath);
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
    const key = findKey(this.doc, 'schemas');
    const list = key === undefined ? undefined : this.doc[key];
    if (Array.isArray(list)) return list as string[];
    const fresh: string[] = [this.core.id];
    this.doc['schemas'] = fresh;
    return fresh;
  }

  private listSchema(urn: string): void {
    const list = this.schemasList();
    if (!list.some((s) => typeof s === 'string' && s.toLowerCase() === urn.toLowerCase())) list.push(urn);
  }

  private unlistSchema(urn: string): void {
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

  private extensionObject(urn: string, create: boolean): JsonObject | undefined {
    const key = findKey(this.doc, urn);
    const existing = key === undefined ? undefined : this.doc[key];
    if (isPlainObject(existing)) {
      if (key !== urn && key !== undefined) {
        delete this.doc[key];
        this.doc[urn] = existing;
      }
      return existing;
    }
    if (!create) return undefined;
    const fresh: JsonObject = {};
    setCanonical(this.doc, urn, fresh);
    this.listSchema(urn);
    return fresh;
  }

  /** Drops an extension object left empty, and its URN from `schemas`. */
  private pruneExtension(urn: string): void {
    const key = findKey(this.doc, urn);
    if (key === undefined) return;
    const value = this.doc[key];
    if (isPlainObject(value) && Object.keys(value).length === 0) {
      delete this.doc[key];
      this.unlistSchema(urn);
    }
  }

  // ---- path-less operations --------------------------------------------------------------------------

  private applyPathless(value: unknown): void {
    if (!isPlainObject(value)) {
      throw invalidValue(this.at('without a "path", "value" must be an object of attributes.'));
    }
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
        if (!found && isPlainObject(raw) && findKey(this.doc, key) === undefined) {
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
      if (deleteIgnoringCase(this.doc, schema.id)) this.unlistSchema(schema.id);
      return;
    }
    if (!isPlainObject(value)) throw invalidValue(this.at(`'${schema.id}' must be an object.`));
    if (op === 'replace') {
      // Replacing the whole extension: attributes not given become unassigned.
      const ext = this.extensionObject(schema.id, false);
      for (const key of Object.keys(ext ?? {})) {
        const attribute = findByName(schema.attributes, key);
        if (attribute && findKey(value, key) === undefined && attribute.mutability !== 'readOnly') {
          this.checkWritable(schema, attribute, undefined, 'remove');
          delete ext?.[key];
        }
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
        if (deleteIgnoringCase(this.doc, urn)) this.unlistSchema(urn);
        return;
      }
      if (!isPlainObject(value)) throw invalidValue(this.at(`'${urn}' must be an object.`));
      const ext = this.extensionObject(urn, true) ?? {};
      if (op === 'replace' && !implicit) for (const key of Object.keys(ext)) delete ext[key];
      for (const [key, raw] of Object.entries(value)) {
        if (raw === null) deleteIgnoringCase(ext, key);
        else setCanonical(ext, findKey(ext, key) ?? key, deepClone(raw));
      }
      this.pruneExtension(urn);
      return;
    }
    const removing = op === 'remove' || value === null;
    const ext = this.extensionObject(urn, !removing);
    if (!ext) return;
    const attrKey = findKey(ext, attr) ?? attr;
    if (sub === undefined) {
      if (removing) delete ext[attrKey];
      else ext[attrKey] = deepClone(value);
    } else {
      const parent = ext[attrKey];
      if (removing) {
        if (isPlainObject(parent)) {
          deleteIgnoringCase(parent, sub);
          if (Object.keys(parent).length === 0) delete ext[attrKey];
        }
      } else {
        const obj = isPlainObject(parent) ? parent : {};
        setCanonical(obj, findKey(obj, sub) ?? sub, deepClone(value));
        ext[attrKey] = obj;
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
        const current = getIgnoringCase(this.container(schema, false) ?? {}, attribute.name);
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
    const existing =
      current !== undefined ? current : getIgnoringCase(this.container(schema, false) ?? {}, attribute.name);
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
    const current = getIgnoringCase(holder, attribute.name);

    if (op === 'remove') {
      if (attribute.multiValued && hasValue && value !== null && Array.isArray(current)) {
        // Entra (legacy): remove the listed values of a multi-valued attribute.
        const listed: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
        const remaining = (current as unknown[]).filter((el) => !listed.some((v) => sameElement(el, v)));
        if (remaining.length > 0) setCanonical(holder, attribute.name, remaining);
        else deleteIgnoringCase(holder, attribute.name);
        return;
      }
      this.checkWritable(schema, attribute, undefined, 'remove');
      deleteIgnoringCase(holder, attribute.name);
      return;
    }

    const next = coerceAttributeValue(attribute, value, text, COERCE);
    if (next === undefined) {
      this.checkWritable(schema, attribute, undefined, 'remove');
      deleteIgnoringCase(holder, attribute.name);
      return;
    }
    if (attribute.multiValued) {
      const incoming = next as unknown[];
      if (op === 'add') {
        const merged: unknown[] = Array.isArray(current) ? [...(current as unknown[])] : [];
        const positions = appendDistinct(merged, incoming);
        enforceSinglePrimary(merged, lastPrimary(merged, positions));
        this.checkWritable(schema, attribute, merged, op, current);
        setCanonical(holder, attribute.name, merged);
      } else {
        this.checkWritable(schema, attribute, incoming, op, current);
        setCanonical(holder, attribute.name, incoming);
      }
      return;
    }
    if (attribute.type === 'complex' && isPlainObject(current) && isPlainObject(next)) {
      // Sub-attributes not given are kept (RFC 7644 §3.5.2.3), except that a new `value` (manager id) makes
      // the old `$ref`/`displayName` stale: then the value object replaces the reference as a whole.
      const newReference =
        next['value'] !== undefined && !deepEqual(getIgnoringCase(current, 'value'), next['value']);
      const merged = newReference ? { ...next } : { ...current, ...next };
      this.checkWritable(schema, attribute, merged, op, current);
      setCanonical(holder, attribute.name, merged);
      return;
    }
    this.checkWritable(schema, attribute, next, op, current);
    setCanonical(holder, attribute.name, next);
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
    const parent = getIgnoringCase(holder, attribute.name);
    const obj: JsonObject = isPlainObject(parent) ? { ...parent } : {};
    const current = getIgnoringCase(obj, sub.name);
    if (removing) {
      if (sub.mutability === 'immutable' && current !== undefined) {
        throw mutability(this.at(`'${text}' is immutable.`));
      }
      deleteIgnoringCase(obj, sub.name);
    } else {
      const next = coerceSimpleValue(sub, unwrapSingleton(value), text);
      if (sub.mutability === 'immutable' && current !== undefined && !deepEqual(current, next)) {
        throw mutability(this.at(`'${text}' is immutable.`));
      }
      setCanonical(obj, sub.name, next);
    }
    if (Object.keys(obj).length === 0) deleteIgnoringCase(holder, attribute.name);
    else setCanonical(holder, attribute.name, obj);
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
    const current = getIgnoringCase(holder, attribute.name);
    const elements = copyElements(current);
    if (removing) {
      const kept = elements
        .map((e) => {
          if (isPlainObject(e)) deleteIgnoringCase(e, sub.name);
          return e;
        })
        .filter((e) => !(isPlainObject(e) && Object.keys(e).length === 0));
      if (kept.length > 0) setCanonical(holder, attribute.name, kept);
      else deleteIgnoringCase(holder, attribute.name);
      return;
    }
    const next = coerceSimpleValue(sub, value, text);
    if (elements.length === 0) elements.push({});
    for (const e of elements) if (isPlainObject(e)) setCanonical(e, sub.name, next);
    enforceSinglePrimary(elements, sub.name === 'primary' && next === true ? elements.length - 1 : undefined);
    setCanonical(holder, attribute.name, elements);
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
    const current = getIgnoringCase(holder, attribute.name);
    const elements = copyElements(current);
    const matched = elements
      .map((e, i) => (matchesValueFilter(filter, e, attribute) ? i : -1))
      .filter((i) => i >= 0);

    if (removing) {
      if (matched.length === 0) return;
      let kept: unknown[];
      if (sub) {
        for (const i of matched) {
          const e = elements[i];
          if (isPlainObject(e)) deleteIgnoringCase(e, sub.name);
        }
        kept = elements.filter((e) => !(isPlainObject(e) && Object.keys(e).length === 0));
      } else {
        kept = elements.filter((_, i) => !matched.includes(i));
      }
      if (kept.length > 0) setCanonical(holder, attribute.name, kept);
      else deleteIgnoringCase(holder, attribute.name);
      return;
    }

    if (!sub && value === null) {
      // replace/add of a filtered element with null: unassign the matching elements.
      const kept = elements.filter((_, i) => !matched.includes(i));
      if (kept.length > 0) setCanonical(holder, attribute.name, kept);
      else deleteIgnoringCase(holder, attribute.name);
      return;
    }

    const touched: number[] = [];
    if (sub) {
      const next = coerceSimpleValue(sub, unwrapSingleton(value), text);
      if (matched.length === 0) {
        const seed = seedFromFilter(filter, attribute);
        if (!seed) throw noTarget(this.at(`No value of '${attribute.name}' matches '${text}'.`));
        elements.push({ ...seed, [sub.name]: next });
        touched.push(elements.length - 1);
      } else {
        for (const i of matched) {
          const e = elements[i];
          if (isPlainObject(e)) setCanonical(e, sub.name, next);
          touched.push(i);
        }
      }
    } else {
      const single = unwrapSingleton(value);
      const next = coerceComplexValue(attribute, single, text, COERCE);
      if (matched.length === 0) {
        const seed = seedFromFilter(filter, attribute);
        if (!seed) throw noTarget(this.at(`No value of '${attribute.name}' matches '${text}'.`));
        elements.push({ ...seed, ...next });
        touched.push(elements.length - 1);
      } else {
        for (const i of matched) {
          const e = elements[i];
          elements[i] = op === 'replace' || !isPlainObject(e) ? { ...next } : { ...e, ...next };
          touched.push(i);
        }
      }
    }
    enforceSinglePrimary(elements, lastPrimary(elements, touched));
    setCanonical(holder, attribute.name, elements);
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
      this.pushMembers({ kind: 'remove', values: memberIdsFromFilter(target.filter, this.op.index) });
      return;
    }
    if (op === 'remove') {
      if (hasValue && value !== null) this.pushMembers({ kind: 'remove', values: this.memberIds(value) });
      else this.pushMembers({ kind: 'removeAll' });
      return;
    }
    const values = value === null ? [] : this.memberIds(value);
    this.pushMembers(op === 'add' ? { kind: 'add', values } : { kind: 'replace', values });
  }

  private memberIds(value: unknown): string[] {
    const items: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
    // A Set keeps this linear: Okta sends the whole member list of a large group.
    const ids = new Set<string>();
    for (const item of items) {
      if (item === null) continue;
      const id =
        typeof item === 'string' ? item : isPlainObject(item) ? getIgnoringCase(item, 'value') : item;
      if (typeof id !== 'string' || id.trim() === '') {
        throw invalidValue(this.at(`each member must have a non-empty string "value" (a member id).`));
      }
      ids.add(id);
    }
    return [...ids];
  }

  private pushMembers(change: MemberChange): void {
    const last = this.members[this.members.length - 1];
    if (last && (change.kind === 'add' || change.kind === 'remove') && last.kind === change.kind) {
      const seen = new Set(last.values);
      for (const v of change.values) {
        if (!seen.has(v)) last.values.push(v);
        seen.add(v);
      }
      return;
    }
    if (change.kind === 'add' && change.values.length === 0) return;
    if (change.kind === 'remove' && change.values.length === 0) return;
    this.members.push(change);
  }

  // ---- required attributes ---------------------------------------------------------------------------

  private checkRequired(): void {
    for (const schema of [this.core, ...this.definition.extensions]) {
      for (const attribute of schema.attributes) {
        if (!attribute.required) continue;
        const before =
          schema === this.core
            ? getIgnoringCase(this.original, attribute.name)
            : getIgnoringCase(asObject(getIgnoringCase(this.original, schema.id)), attribute.name);
        const after = getIgnoringCase(this.container(schema, false) ?? {}, attribute.name);
        if (!isUnassigned(before) && isUnassigned(after)) {
          throw mutability(`Required attribute '${attribute.name}' cannot be removed or emptied.`);
        }
      }
    }
  }
}

/** Shallow copies of the elements of a multi-valued attribute (objects copied, so edits stay local). */
function copyElements(current: unknown): unknown[] {
  if (!Array.isArray(current)) return [];
  return (current as unknown[]).map((e) => (isPlainObject(e) ? { ...e } : e));
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

/** Equal, or both complex with the same `value` (how a listed value designates an element to remove). */
function sameElement(element: unknown, listed: unknown): boolean {
  if (deepEqual(element, listed)) return true;
  if (isPlainObject(element) && isPlainObject(listed)) {
    const a = getIgnoringCase(element, 'value');
    const b = getIgnoringCase(listed, 'value');
    return a !== undefined && deepEqual(a, b);
  }
  return isPlainObject(element) && deepEqual(getIgnoringCase(element, 'value'), listed);
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
