/*
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) applied to a SCIM resource.
 *
 * - Names are case-insensitive, may carry a schema URN (`urn:…:enterprise:2.0:User:department`), may name a
 *   sub-attribute (`name.givenName`, `emails.value`) or a whole extension (`urn:…:enterprise:2.0:User`).
 * - `schemas` and attributes with `returned: always` (id) are always kept; `returned: never` (password) is
 *   always removed; `returned: request` only appears when asked for.
 * - When both parameters are given, `attributes` selects and `excludedAttributes` then removes.
 * - Unknown names are ignored. Keys keep the casing of the resource.
 * - Either list longer than MAX_ATTRIBUTE_LIST_LENGTH characters → 400 invalidValue naming the limit.
 */
import { limitExceeded, MAX_ATTRIBUTE_LIST_LENGTH } from '../scim-limits';
import { COMMON_ATTRIBUTES, findByName, findSchemaByUrnPrefix } from '../schema/scim-schemas';
import type { ScimResourceDefinition } from '../schema/scim-schemas';
import type { ScimAttribute } from '../schema/scim-schema.types';

export interface ProjectionOptions {
  attributes?: string;
  excludedAttributes?: string;
}

/** Selection of one attribute: all of it, or some of its sub-attributes (lower-cased names). */
interface AttributeSelection {
  whole: boolean;
  subs: Set<string>;
}

/** A parsed attribute list, keyed by `lower(schemaUrn)|lower(attribute)`. */
interface Selection {
  attributes: Map<string, AttributeSelection>;
  /** Lower-cased URNs of schemas named as a whole. */
  schemas: Set<string>;
}

type Json = Record<string, unknown>;

/** Splits a comma-separated attribute list, trimming blanks. */
export function parseAttributeList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const keyOf = (schemaUrn: string, attribute: string): string => `${schemaUrn}|${attribute}`.toLowerCase();

function parseSelection(
  value: string | undefined,
  definition: ScimResourceDefinition,
): Selection | undefined {
  const list = parseAttributeList(value);
  if (list.length === 0) return undefined;
  const selection: Selection = { attributes: new Map(), schemas: new Set() };
  for (const path of list) {
    let schemaUrn = definition.coreSchema.id;
    let rest = path;
    if (path.toLowerCase().startsWith('urn:')) {
      const found = findSchemaByUrnPrefix(definition, path);
      if (!found) continue;
      if (found.rest === '') {
        selection.schemas.add(found.schema.id.toLowerCase());
        continue;
      }
      ({ rest } = found);
      schemaUrn = found.schema.id;
    }
    const [attribute = '', sub, ...deeper] = rest.split('.');
    if (attribute === '' || deeper.length > 0) continue;
    const key = keyOf(schemaUrn, attribute);
    const entry = selection.attributes.get(key) ?? { whole: false, subs: new Set<string>() };
    if (sub === undefined) entry.whole = true;
    else entry.subs.add(sub.toLowerCase());
    selection.attributes.set(key, entry);
  }
  return selection;
}

interface Context {
  include?: Selection;
  exclude?: Selection;
}

/** Whether a sub-attribute survives, given its definition and the selections on its parent. */
function keepSub(
  def: ScimAttribute | undefined,
  name: string,
  include: AttributeSelection | 'all',
  exclude: AttributeSelection | undefined,
): boolean {
  if (def?.returned === 'never') return false;
  if (def?.returned === 'always') return true;
  const lower = name.toLowerCase();
  if (exclude?.subs.has(lower)) return false;
  if (include === 'all') return def?.returned !== 'request';
  return include.whole || include.subs.has(lower);
}

function projectComplexValue(
  value: unknown,
  attribute: ScimAttribute | undefined,
  include: AttributeSelection | 'all',
  exclude: AttributeSelection | undefined,
): unknown {
  const projectOne = (item: unknown): unknown => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const entries = Object.entries(item as Json).filter(([k]) =>
      keepSub(findByName(attribute?.subAttributes, k), k, include, exclude),
    );
    return entries.length ? Object.fromEntries(entries) : undefined;
  };
  if (!Array.isArray(value)) return projectOne(value);
  const items = value.map(projectOne).filter((v) => v !== undefined);
  return items.length ? items : undefined;
}

interface Decision {
  include: AttributeSelection | 'all';
  exclude: AttributeSelection | undefined;
}

/** Whether (and which parts of) an attribute is returned; undefined to drop it. */
function decide(
  schemaUrn: string,
  key: string,
  attribute: ScimAttribute | undefined,
  ctx: Context,
): Decision | undefined {
  if (attribute?.returned === 'never') return undefined;
  const selKey = keyOf(schemaUrn, key);
  const exclude = ctx.exclude?.attributes.get(selKey);
  const always = attribute?.returned === 'always';
  if (always) return { include: 'all', exclude };
  if (exclude?.whole || ctx.exclude?.schemas.has(schemaUrn.toLowerCase())) return undefined;
  if (!ctx.include) return attribute?.returned === 'request' ? undefined : { include: 'all', exclude };
  if (ctx.include.schemas.has(schemaUrn.toLowerCase())) return { include: 'all', exclude };
  const selected = ctx.include.attributes.get(selKey);
  if (!selected) return undefined;
  return { include: selected.whole ? 'all' : selected, exclude };
}

/** The projected value of one attribute, or undefined to drop it. */
function projectAttribute(
  schemaUrn: string,
  key: string,
  value: unknown,
  attribute: ScimAttribute | undefined,
  ctx: Context,
): unknown {
  const decision = decide(schemaUrn, key, attribute, ctx);
  if (!decision) return undefined;
  if (decision.include === 'all' && !decision.exclude) return value;
  return projectComplexValue(value, attribute, decision.include, decision.exclude);
}

function projectObject(
  object: Json,
  schemaUrn: string,
  attributes: readonly ScimAttribute[],
  ctx: Context,
): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(object)) {
    const projected = projectAttribute(schemaUrn, key, value, findByName(attributes, key), ctx);
    if (projected !== undefined) out[key] = projected;
  }
  return out;
}

const coreAttributes = new WeakMap<ScimResourceDefinition, readonly ScimAttribute[]>();

/**
 * A resource's core attributes and the common ones (`id`, `meta`, …), as one list made once per definition:
 * `findByName` indexes a list the first time it sees it, so a new list per request would be indexed anew.
 */
function coreAttributesOf(definition: ScimResourceDefinition): readonly ScimAttribute[] {
  let list = coreAttributes.get(definition);
  if (!list) {
    list = [...definition.coreSchema.attributes, ...COMMON_ATTRIBUTES];
    coreAttributes.set(definition, list);
  }
  return list;
}

/**
 * `attributes` / `excludedAttributes` of one request, parsed once (a list page projects up to `maxResults`
 * resources with it, and a `.search` body may carry long lists).
 */
export class Projection {
  private readonly ctx: Context;
  private readonly coreAttributes: readonly ScimAttribute[];

  constructor(
    options: ProjectionOptions,
    private readonly definition: ScimResourceDefinition,
  ) {
    this.ctx = {
      include: parseSelection(options.attributes, definition),
      exclude: parseSelection(options.excludedAttributes, definition),
    };
    this.coreAttributes = coreAttributesOf(definition);
  }

  /** Applies the projection to a resource (a plain JSON object in SCIM representation); returns a new object. */
  apply(resource: Json): Json {
    const core = this.definition.coreSchema;
    const out: Json = {};
    for (const [key, value] of Object.entries(resource)) {
      if (key.toLowerCase() === 'schemas') {
        out[key] = value;
        continue;
      }
      const extension = this.definition.extensions.find((s) => s.id.toLowerCase() === key.toLowerCase());
      if (extension) {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
        const projected = projectObject(value as Json, extension.id, extension.attributes, this.ctx);
        if (Object.keys(projected).length > 0) out[key] = projected;
        continue;
      }
      const attribute = findByName(this.coreAttributes, key);
      const projected = projectAttribute(core.id, key, value, attribute, this.ctx);
      if (projected !== undefined) out[key] = projected;
    }
    return out;
  }

  /**
   * Whether the projection will contain (any part of) the top-level core attribute `attribute`, so that a
   * service can skip loading it: with `excludedAttributes=members`, `wants('members')` is false.
   */
  wants(attribute: string): boolean {
    return this.decideCore(attribute) !== undefined;
  }

  /** Whether the projection returns the top-level core attribute `attribute` whole, as it is stored. */
  wantsWhole(attribute: string): boolean {
    const decision = this.decideCore(attribute);
    return decision?.include === 'all' && decision.exclude === undefined;
  }

  private decideCore(attribute: string): Decision | undefined {
    const def = findByName(this.coreAttributes, attribute);
    return decide(this.definition.coreSchema.id, def?.name ?? attribute, def, this.ctx);
  }
}

/**
 * Parses `attributes` / `excludedAttributes` for one request, refusing a list longer than
 * {@link MAX_ATTRIBUTE_LIST_LENGTH} characters before any of it is read.
 */
export function parseProjection(options: ProjectionOptions, definition: ScimResourceDefinition): Projection {
  for (const name of ['attributes', 'excludedAttributes'] as const) {
    const length = options[name]?.length ?? 0;
    if (length > MAX_ATTRIBUTE_LIST_LENGTH) {
      throw limitExceeded(
        `'${name}' has ${length} characters; the limit is ${MAX_ATTRIBUTE_LIST_LENGTH} characters.`,
      );
    }
  }
  return new Projection(options, definition);
}
