import { ScimException } from '../scim.exception';
import {
  ALL_SCHEMAS,
  COMMON_ATTRIBUTES,
  findByName,
  findSchemaByUrnPrefix,
  type ScimAttribute,
  type ScimResourceDefinition,
  type ScimSchemaDefinition,
} from '../schema';
import {
  checkAttributeCount,
  checkValueCount,
  coerceAttributeValue,
  deepClone,
  getIgnoringCase,
  invalidValue,
  isPlainObject,
  isUnassigned,
  type JsonObject,
  type ScimResource,
} from './scim-value';

/** The outcome of {@link normalizeResource}. */
export interface NormalizedResource {
  /** The canonical resource: `schemas` first; never `id`, `meta`, `groups` or `password`. */
  resource: ScimResource;
  /** The cleartext `password` of the request, if any; it is never kept in `resource`. */
  password?: string;
  /** Same array as `resource.schemas`. */
  schemas: string[];
}

export type NormalizeMode = 'create' | 'replace';

const COERCE = { dropReadOnly: true } as const;

/**
 * Validates the body of a POST (`create`) or PUT (`replace`) against the resource type's schemas and returns
 * the canonical resource to store.
 *
 * Decisions (RFC 7643/7644, and what Okta and Entra really send):
 * - The body must be a JSON object whose `schemas` is an array of strings including the core schema URN;
 *   otherwise 400 invalidValue (400 invalidSyntax when the body is not an object at all).
 * - Attribute names and schema URNs are matched case-insensitively and rewritten to the schema's spelling
 *   (`USERNAME` → `userName`, `name.GivenName` → `name.givenName`); extension objects are keyed by URN.
 * - readOnly attributes (`id`, `meta`, `groups`, `manager.displayName`, …) are dropped silently (RFC 7644
 *   §3.3; Okta's PUT echoes `id`, `meta` and `groups`). `members.display` is kept (it is the only name an IdP
 *   gives for a member).
 * - `password` (writeOnly) is returned separately and never kept in the resource.
 * - `null` means unassigned: the key is dropped (so are empty arrays and complex values left empty).
 * - Schema URNs we do not model are not an error (Entra lists
 *   `http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group` on groups): they stay in
 *   `schemas`, and an attribute keyed by such a URN is kept whole and round-trips unchanged; an attribute
 *   keyed by an unmodelled `urn:` is added to `schemas` if missing.
 * - Unknown non-URN top-level attributes (and unknown sub-attributes of modelled complex attributes) are kept
 *   verbatim rather than rejected: being lenient costs nothing, rejecting would fail a whole provisioning
 *   run, and nothing an IdP sent is lost. They are not type-checked and are not PATCH targets.
 * - Type mismatches → 400 invalidValue naming the attribute path. "True"/"False" strings become booleans; a
 *   single object for a multi-valued attribute is wrapped in an array; a one-element array for a
 *   single-valued attribute is unwrapped; a plain string for a complex attribute with a `value`
 *   sub-attribute (Entra's `manager`) becomes `{ value }`.
 * - Several `primary: true` in one multi-valued attribute: the first keeps it, the others get `false`
 *   (rejecting would fail IdPs that send stale flags; RFC 7643 §2.4 allows at most one).
 * - Duplicate values of a multi-valued attribute (structurally equal once canonicalised) are dropped; more
 *   than MAX_VALUES_PER_ATTRIBUTE values of one (`schemas` included), or more than MAX_ATTRIBUTES_PER_OBJECT
 *   attributes in the resource, an extension object or a complex value → 400 invalidValue naming the limit.
 * - Required attributes (`userName`, Group `displayName`) missing, null or blank → 400 invalidValue.
 * - The same attribute given twice in different casings → 400 invalidValue.
 * - `mode` does not change the rules: PUT replaces the whole resource, so it is validated like a create; the
 *   caller keeps `id`/`meta` and refuses changes to immutable values it tracks.
 */
export function normalizeResource(
  body: unknown,
  definition: ScimResourceDefinition,
  mode: NormalizeMode,
): NormalizedResource {
  if (!isPlainObject(body)) {
    throw new ScimException(400, 'invalidSyntax', `The ${mode} request body must be a JSON object.`);
  }
  checkAttributeCount(`The ${definition.name}`, body);
  const core = definition.coreSchema;
  const declared = readSchemas(body, definition);

  const resource: ScimResource = {};
  const extensions = new Map<ScimSchemaDefinition, JsonObject>();
  const unknownExtensions: string[] = [];
  let password: string | undefined;
  const seen = new Set<string>();
  const once = (canonical: string): void => {
    const key = canonical.toLowerCase();
    if (seen.has(key)) throw invalidValue(`Attribute '${canonical}' is given more than once.`);
    seen.add(key);
  };

  const putAttribute = (
    schema: ScimSchemaDefinition,
    attribute: ScimAttribute,
    raw: unknown,
    target: JsonObject,
    path: string,
  ): void => {
    once(path);
    if (attribute.mutability === 'readOnly') return;
    if (attribute.mutability === 'writeOnly' && attribute.name === 'password' && schema === core) {
      if (raw === null || raw === undefined) return;
      if (typeof raw !== 'string') throw invalidValue(`Attribute 'password' must be a string.`);
      password = raw;
      return;
    }
    const value = coerceAttributeValue(attribute, raw, path, COERCE);
    if (value !== undefined) target[attribute.name] = value;
  };

  for (const [key, raw] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') continue;
    const lower = key.toLowerCase();
    if (lower.startsWith('urn:') || lower.includes('://')) {
      const found = lower.startsWith('urn:') ? findSchemaByUrnPrefix(definition, key) : undefined;
      if (!found) {
        const foreign = ALL_SCHEMAS.find(
          (s) => lower === s.id.toLowerCase() || lower.startsWith(`${s.id.toLowerCase()}:`),
        );
        if (foreign) throw invalidValue(`Schema '${foreign.id}' does not apply to a ${definition.name}.`);
        // An extension we do not model: kept whole, within the limit PATCH keeps it to.
        once(key);
        if (raw === null || raw === undefined) continue;
        if (isPlainObject(raw)) checkAttributeCount(`Extension '${key}'`, raw);
        resource[key] = deepClone(raw);
        unknownExtensions.push(key);
        continue;
      }
      const { schema, rest } = found;
      if (rest === '') {
        // A whole extension object keyed by its URN.
        if (schema === core) throw invalidValue(`The core schema URN '${core.id}' cannot be an attribute.`);
        once(schema.id);
        if (raw === null || raw === undefined) continue;
        if (!isPlainObject(raw)) throw invalidValue(`Extension '${schema.id}' must be an object.`);
        checkAttributeCount(`Extension '${schema.id}'`, raw);
        const ext = extensionObject(extensions, schema);
        for (const [attrKey, attrRaw] of Object.entries(raw)) {
          const attribute = findByName(schema.attributes, attrKey);
          if (!attribute) {
            once(`${schema.id}:${attrKey}`);
            if (attrRaw !== null && attrRaw !== undefined) ext[attrKey] = deepClone(attrRaw);
            continue;
          }
          putAttribute(schema, attribute, attrRaw, ext, `${schema.id}:${attribute.name}`);
        }
        continue;
      }
      // A schema-qualified attribute name used as a key (`urn:…:User:userName`, `urn:…:enterprise:2.0:User:department`).
      const attribute = rest.includes('.') ? undefined : findByName(schema.attributes, rest);
      const common = !attribute && schema === core ? findByName(COMMON_ATTRIBUTES, rest) : undefined;
      const resolved = attribute ?? common;
      if (!resolved) throw invalidValue(`Unknown attribute '${key}'.`);
      if (schema === core) {
        putAttribute(schema, resolved, raw, resource, resolved.name);
      } else {
        putAttribute(
          schema,
          resolved,
          raw,
          extensionObject(extensions, schema),
          `${schema.id}:${resolved.name}`,
        );
      }
      continue;
    }
    const attribute = findByName(core.attributes, key) ?? findByName(COMMON_ATTRIBUTES, key);
    if (!attribute) {
      // An attribute we do not model: kept verbatim (see the decisions above).
      once(key);
      if (raw !== null && raw !== undefined) resource[key] = deepClone(raw);
      continue;
    }
    putAttribute(core, attribute, raw, resource, attribute.name);
  }

  // Known extensions, in definition order, present only when they carry something.
  const schemas = [...declared];
  const listed = new Set(schemas.map((s) => s.toLowerCase()));
  const list = (urn: string): void => {
    if (!listed.has(urn.toLowerCase())) schemas.push(urn);
    listed.add(urn.toLowerCase());
  };
  for (const schema of definition.extensions) {
    const ext = extensions.get(schema);
    if (!ext || Object.keys(ext).length === 0) continue;
    resource[schema.id] = ext;
    list(schema.id);
  }
  unknownExtensions.forEach(list);
  checkValueCount('schemas', schemas.length);

  for (const schema of [core, ...definition.extensions]) {
    const target = schema === core ? resource : extensions.get(schema);
    if (schema !== core && !target) continue;
    for (const attribute of schema.attributes) {
      if (attribute.required && isUnassigned(target?.[attribute.name])) {
        throw invalidValue(`Required attribute '${attribute.name}' is missing or empty.`);
      }
    }
  }

  return { resource: { schemas, ...resource }, ...(password !== undefined ? { password } : {}), schemas };
}

function extensionObject(
  extensions: Map<ScimSchemaDefinition, JsonObject>,
  schema: ScimSchemaDefinition,
): JsonObject {
  let ext = extensions.get(schema);
  if (!ext) {
    ext = {};
    extensions.set(schema, ext);
  }
  return ext;
}

/**
 * `schemas` of a resource body: an array of strings that includes the core schema URN. Known URNs get their
 * canonical spelling, the core URN comes first, duplicates (ignoring case) go, unknown URNs are kept.
 */
function readSchemas(body: JsonObject, definition: ScimResourceDefinition): string[] {
  const raw = getIgnoringCase(body, 'schemas');
  if (!Array.isArray(raw) || raw.some((s) => typeof s !== 'string')) {
    throw invalidValue(`'schemas' must be an array of schema URNs including '${definition.coreSchema.id}'.`);
  }
  checkValueCount('schemas', raw.length);
  const known = [definition.coreSchema, ...definition.extensions];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const urn of raw as string[]) {
    const canonical = known.find((s) => s.id.toLowerCase() === urn.toLowerCase())?.id ?? urn;
    if (!seen.has(canonical.toLowerCase())) out.push(canonical);
    seen.add(canonical.toLowerCase());
  }
  const core = definition.coreSchema.id;
  if (!out.includes(core)) {
    throw invalidValue(`'schemas' must include '${core}' for a ${definition.name}.`);
  }
  return [core, ...out.filter((s) => s !== core)];
}
