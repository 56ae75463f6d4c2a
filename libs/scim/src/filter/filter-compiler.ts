/*
 * Compiles a SCIM filter (RFC 7644 §3.4.2.2) into a parameterised PostgreSQL boolean expression.
 *
 * Every value from the filter goes into `params`; the SQL text only ever contains identifiers and JSONB keys
 * taken from the target and the schema definitions. Semantics chosen where the RFC leaves room:
 *  - `attr eq null` means "not present" and `attr ne null` means "present" (RFC 7643 §2.5: null and
 *    unassigned are equivalent); any other operator with null is `invalidFilter`.
 *  - `ne` on a missing attribute is true; on a multi-valued attribute `emails.value ne "x"` means
 *    "no email has value x" (the negation of `eq`), so it is also true when there are no emails.
 *  - `not (f)` is true whenever `f` is not true, so SQL NULLs never leak through a negation.
 *  - `gt/ge/lt/le` compare strings lexicographically (lower-cased unless caseExact) and dateTimes as
 *    timestamptz; with booleans they are `invalidFilter`, and so are `co/sw/ew` on booleans and dateTimes.
 *  - A multi-valued complex attribute compared without a sub-attribute (`emails eq "x"`, Entra's
 *    `members eq "id"`) compares its `value` sub-attribute.
 *  - A boolean attribute also accepts the strings "true"/"false" in any case (Entra).
 */
import { ScimException } from '../scim.exception';
import type { ScimAttribute } from '../schema/scim-schema.types';
import {
  findAttribute,
  findByName,
  type ResolvedAttribute,
  type ScimResourceDefinition,
} from '../schema/scim-schemas';
import type { CompareOp, FilterNode, FilterValue } from './filter-ast';
import { parseFilter } from './filter-parser';

export type FilterColumnType = 'string' | 'boolean' | 'dateTime' | 'uuid';

/** A real column holding a (sub-)attribute, keyed in `FilterTarget.columns` by canonical path. */
export interface FilterColumn {
  sql: string;
  type: FilterColumnType;
  caseExact: boolean;
}

/** A multi-valued attribute stored in a child table, e.g. Group `members` in `group_members`. */
export interface FilterCollection {
  /** FROM item with its alias, e.g. `group_members m`. */
  from: string;
  /** Correlation with the outer row, e.g. `m.group_id = g.id AND m.tenant_id = g.tenant_id`. */
  join: string;
  /** Filterable sub-attributes by canonical name, e.g. `{ value: { sql: 'm.user_id', type: 'uuid', … } }`. */
  columns: Record<string, FilterColumn>;
}

export type CustomFilterCompiler = (
  canonicalPath: string,
  op: CompareOp | 'pr',
  value: FilterValue | undefined,
  params: unknown[],
) => string | undefined;

/** How one resource type is stored: where each attribute lives, for filters and sorting. */
export interface FilterTarget {
  definition: ScimResourceDefinition;
  alias: string;
  /** Canonical path (`userName`, `meta.lastModified`) → column. */
  columns: Record<string, FilterColumn>;
  /** SQL expression of the JSONB column holding the whole resource, e.g. `u.resource`. */
  json: string;
  /** Canonical attribute path (`members`) → child table. */
  collections?: Record<string, FilterCollection>;
  /** Consulted first for every top-level comparison and presence test; undefined falls through. */
  custom?: CustomFilterCompiler;
  /** Canonical paths whose values are unique in a directory (besides `id`), e.g. `userName`. */
  uniqueColumns?: string[];
}

/** Something that can be compared: a real column or a JSONB value. */
type Operand =
  | { kind: 'column'; column: FilterColumn }
  | { kind: 'json'; attribute: ScimAttribute; jsonb: string; text: string };

/** Where the names inside a value path (`emails[type eq "work"]`) resolve. */
type Scope =
  | { kind: 'root' }
  | { kind: 'element'; parent: ScimAttribute; parentPath: string; base: string }
  | { kind: 'collection'; parent: ScimAttribute; parentPath: string; collection: FilterCollection };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const SAFE_KEY = /^[A-Za-z0-9:._$-]+$/;
const ORDERING_OPS: Readonly<Record<string, string>> = { gt: '>', ge: '>=', lt: '<', le: '<=' };

export function invalidFilter(detail: string): ScimException {
  return new ScimException(400, 'invalidFilter', detail);
}

/** A JSONB key from our own schema definitions, as a SQL string literal. */
export function jsonKey(name: string): string {
  if (!SAFE_KEY.test(name)) throw new Error(`Unsafe JSON key in schema definition: ${name}`);
  return `'${name}'`;
}

/** Escapes LIKE metacharacters so the value matches literally (used with ESCAPE '\'). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function isDateTime(value: unknown): value is string {
  return typeof value === 'string' && ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

/** `CASE … END` guarding jsonb_array_elements against non-array values. */
export function jsonArray(jsonb: string): string {
  return `CASE WHEN jsonb_typeof(${jsonb}) = 'array' THEN ${jsonb} ELSE '[]'::jsonb END`;
}

function placeholder(params: unknown[], value: unknown, cast: string): string {
  params.push(value);
  return `$${params.length}::${cast}`;
}

function likePattern(op: 'co' | 'sw' | 'ew', value: string): string {
  const escaped = escapeLike(value);
  if (op === 'co') return `%${escaped}%`;
  return op === 'sw' ? `${escaped}%` : `%${escaped}`;
}

type ValueKind = 'string' | 'boolean' | 'dateTime' | 'uuid' | 'number' | 'complex';

function valueKind(operand: Operand): ValueKind {
  if (operand.kind === 'column') return operand.column.type;
  switch (operand.attribute.type) {
    case 'boolean':
      return 'boolean';
    case 'dateTime':
      return 'dateTime';
    case 'decimal':
    case 'integer':
      return 'number';
    case 'complex':
      return 'complex';
    case 'string':
    case 'reference':
    case 'binary':
      return 'string';
  }
}

function caseExact(operand: Operand): boolean {
  return operand.kind === 'column' ? operand.column.caseExact : operand.attribute.caseExact;
}

function textOf(operand: Operand): string {
  return operand.kind === 'column' ? operand.column.sql : operand.text;
}

/** True whenever `sql` is not true (false or NULL), folding constants. */
export function negate(sql: string): string {
  if (sql === 'TRUE') return 'FALSE';
  if (sql === 'FALSE') return 'TRUE';
  return `((${sql}) IS NOT TRUE)`;
}

/** `a = b`, or the null-safe `a IS DISTINCT FROM b` for `ne`. */
function equality(op: 'eq' | 'ne', left: string, right: string): string {
  return op === 'eq' ? `${left} = ${right}` : `${left} IS DISTINCT FROM ${right}`;
}

function compareString(
  operand: Operand,
  op: CompareOp,
  value: FilterValue,
  path: string,
  params: unknown[],
): string {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw invalidFilter(`Attribute '${path}' is a string; compare it with a string value`);
  }
  const text = String(value);
  const exact = caseExact(operand);
  const wrap = (sql: string): string => (exact ? sql : `lower(${sql})`);
  const left = wrap(textOf(operand));
  switch (op) {
    case 'eq':
    case 'ne':
      return equality(op, left, wrap(placeholder(params, text, 'text')));
    case 'co':
    case 'sw':
    case 'ew':
      return `${left} LIKE ${wrap(placeholder(params, likePattern(op, text), 'text'))} ESCAPE '\\'`;
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return `${left} ${ORDERING_OPS[op]} ${wrap(placeholder(params, text, 'text'))}`;
  }
}

function toBoolean(value: FilterValue, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidFilter(`Attribute '${path}' is a boolean; compare it with true or false`);
}

function compareBoolean(
  operand: Operand,
  op: CompareOp,
  value: FilterValue,
  path: string,
  params: unknown[],
): string {
  if (op !== 'eq' && op !== 'ne') {
    throw invalidFilter(`Operator '${op}' is not supported for the boolean attribute '${path}'`);
  }
  const bool = toBoolean(value, path);
  if (operand.kind === 'column')
    return equality(op, operand.column.sql, placeholder(params, bool, 'boolean'));
  return equality(op, `lower(${operand.text})`, placeholder(params, String(bool), 'text'));
}

function compareDateTime(
  operand: Operand,
  op: CompareOp,
  value: FilterValue,
  path: string,
  params: unknown[],
): string {
  if (op === 'co' || op === 'sw' || op === 'ew') {
    throw invalidFilter(`Operator '${op}' is not supported for the dateTime attribute '${path}'`);
  }
  if (!isDateTime(value)) {
    throw invalidFilter(`Attribute '${path}' is a dateTime; '${String(value)}' is not an ISO 8601 date-time`);
  }
  const left = operand.kind === 'column' ? operand.column.sql : `(${operand.text})::timestamptz`;
  const right = placeholder(params, value, 'timestamptz');
  if (operand.kind === 'column') {
    // Columns keep microseconds but `meta` shows milliseconds: a value names its whole millisecond, so that
    // the `meta.created` a client read matches its resource (eq) and `gt` its `meta.lastModified` excludes it.
    const end = `date_trunc('milliseconds', ${right}) + interval '1 millisecond'`;
    const within = `(${left} >= ${right} AND ${left} < ${end})`;
    if (op === 'eq') return within;
    if (op === 'ne') return `${within} IS NOT TRUE`;
    if (op === 'gt') return `${left} >= ${end}`;
    if (op === 'le') return `${left} < ${end}`;
  }
  return op === 'eq' || op === 'ne' ? equality(op, left, right) : `${left} ${ORDERING_OPS[op]} ${right}`;
}

function compareUuid(
  operand: Operand,
  op: CompareOp,
  value: FilterValue,
  path: string,
  params: unknown[],
): string {
  if (typeof value === 'boolean') throw invalidFilter(`Attribute '${path}' is an identifier, not a boolean`);
  const sql = textOf(operand);
  const text = String(value).toLowerCase();
  switch (op) {
    case 'eq':
    case 'ne':
      // A value that is not a UUID matches no row, and must never reach a ::uuid cast.
      if (!isUuid(value)) return op === 'eq' ? 'FALSE' : 'TRUE';
      return equality(op, sql, placeholder(params, value, 'uuid'));
    case 'co':
    case 'sw':
    case 'ew':
      return `${sql}::text LIKE ${placeholder(params, likePattern(op, text), 'text')} ESCAPE '\\'`;
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return `${sql}::text ${ORDERING_OPS[op]} ${placeholder(params, text, 'text')}`;
  }
}

function compareNumber(
  operand: Operand,
  op: CompareOp,
  value: FilterValue,
  path: string,
  params: unknown[],
): string {
  if (typeof value !== 'number')
    throw invalidFilter(`Attribute '${path}' is a number; compare it with a number`);
  if (op === 'co' || op === 'sw' || op === 'ew') {
    throw invalidFilter(`Operator '${op}' is not supported for the numeric attribute '${path}'`);
  }
  const jsonb = operand.kind === 'json' ? operand.jsonb : operand.column.sql;
  const left = `(CASE WHEN jsonb_typeof(${jsonb}) = 'number' THEN (${jsonb})::numeric END)`;
  const right = placeholder(params, value, 'numeric');
  return op === 'eq' || op === 'ne' ? equality(op, left, right) : `${left} ${ORDERING_OPS[op]} ${right}`;
}

/** A comparison of a single (non-null) value; `value` has already been checked not to be null. */
function compareOperand(
  operand: Operand,
  op: CompareOp,
  value: FilterValue,
  path: string,
  params: unknown[],
): string {
  const kind = valueKind(operand);
  switch (kind) {
    case 'string':
      return compareString(operand, op, value, path, params);
    case 'boolean':
      return compareBoolean(operand, op, value, path, params);
    case 'dateTime':
      return compareDateTime(operand, op, value, path, params);
    case 'uuid':
      return compareUuid(operand, op, value, path, params);
    case 'number':
      return compareNumber(operand, op, value, path, params);
    case 'complex':
      throw invalidFilter(`Attribute '${path}' is complex; filter on one of its sub-attributes`);
  }
}

function presentOperand(operand: Operand): string {
  if (operand.kind === 'json') {
    const empty = `('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb)`;
    return `COALESCE(${operand.jsonb} NOT IN ${empty}, FALSE)`;
  }
  const { sql, type } = operand.column;
  return type === 'string' ? `(${sql} IS NOT NULL AND ${sql} <> '')` : `${sql} IS NOT NULL`;
}

function jsonOperand(attribute: ScimAttribute, base: string): Operand {
  const key = jsonKey(attribute.name);
  return { kind: 'json', attribute, jsonb: `${base}->${key}`, text: `${base}->>${key}` };
}

/** A SCIM attribute resolved for compilation, with the `value` default applied. */
interface Target {
  resolved: ResolvedAttribute;
  attribute: ScimAttribute;
  sub?: ScimAttribute;
  /** Canonical path of the attribute itself, without sub-attribute. */
  attrPath: string;
  /** Canonical path including the sub-attribute. */
  path: string;
}

class FilterCompiler {
  private elementAliases = 0;

  constructor(
    private readonly target: FilterTarget,
    private readonly params: unknown[],
  ) {}

  compile(node: FilterNode, scope: Scope): string {
    switch (node.kind) {
      case 'and':
      case 'or':
        return `(${node.filters.map((f) => this.compile(f, scope)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return negate(this.compile(node.filter, scope));
      case 'present':
        return this.present(node.path, scope);
      case 'compare':
        if (node.value === null) return this.compareNull(node.path, node.op, scope);
        return this.compare(node.path, node.op, node.value, scope);
      case 'valuePath':
        if (scope.kind !== 'root') throw invalidFilter('Value paths cannot be nested');
        return this.valuePath(node.path, node.filter);
    }
  }

  private compareNull(path: string, op: CompareOp, scope: Scope): string {
    if (op === 'eq') return negate(this.present(path, scope));
    if (op === 'ne') return this.present(path, scope);
    throw invalidFilter(`Operator '${op}' cannot be used with null (attribute '${path}')`);
  }

  private resolve(path: string, defaultToValue: boolean): Target {
    const resolved = findAttribute(this.target.definition, path);
    if (!resolved) throw invalidFilter(`Unknown attribute '${path}' in filter`);
    const { attribute } = resolved;
    const attrPath = resolved.subAttribute
      ? resolved.canonicalPath.slice(0, -resolved.subAttribute.name.length - 1)
      : resolved.canonicalPath;
    let sub = resolved.subAttribute;
    if (!sub && defaultToValue && attribute.type === 'complex' && attribute.multiValued) {
      sub = findByName(attribute.subAttributes, 'value');
    }
    const fullPath = sub ? `${attrPath}.${sub.name}` : attrPath;
    return { resolved, attribute, attrPath, path: fullPath, ...(sub ? { sub } : {}) };
  }

  /** JSONB object holding a top-level attribute: the resource, or its extension object. */
  private attributeBase(target: Target): string {
    const { schemaUrn } = target.resolved;
    const core = schemaUrn === this.target.definition.coreSchema.id;
    return core ? this.target.json : `${this.target.json}->${jsonKey(schemaUrn)}`;
  }

  /** JSONB expression of a top-level attribute (`u.resource->'emails'`). */
  private attributeJson(target: Target): string {
    return `${this.attributeBase(target)}->${jsonKey(target.attribute.name)}`;
  }

  private elementSource(target: Target): { alias: string; from: string } {
    const alias = `e${++this.elementAliases}`;
    return { alias, from: `jsonb_array_elements(${jsonArray(this.attributeJson(target))}) ${alias}` };
  }

  private exists(from: string, conditions: string[]): string {
    return `EXISTS (SELECT 1 FROM ${from}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''})`;
  }

  private collectionOf(target: Target): FilterCollection | undefined {
    return this.target.collections?.[target.attrPath];
  }

  private collectionColumn(
    collection: FilterCollection,
    parentPath: string,
    sub: ScimAttribute,
  ): FilterColumn {
    const column = collection.columns[sub.name];
    if (!column) throw invalidFilter(`Attribute '${parentPath}.${sub.name}' is not supported in filters`);
    return column;
  }

  /** A name inside a value path: a sub-attribute of the parent. */
  private scopedSub(scope: Exclude<Scope, { kind: 'root' }>, path: string): ScimAttribute {
    const sub =
      path.includes('.') || path.includes(':') ? undefined : findByName(scope.parent.subAttributes, path);
    if (!sub) throw invalidFilter(`Unknown attribute '${scope.parentPath}.${path}' in filter`);
    return sub;
  }

  private scopedOperand(scope: Exclude<Scope, { kind: 'root' }>, path: string): Operand {
    const sub = this.scopedSub(scope, path);
    if (scope.kind === 'collection') {
      return { kind: 'column', column: this.collectionColumn(scope.collection, scope.parentPath, sub) };
    }
    return jsonOperand(sub, scope.base);
  }

  private compare(path: string, op: CompareOp, value: FilterValue, scope: Scope): string {
    if (scope.kind !== 'root') {
      const sub = this.scopedSub(scope, path);
      return compareOperand(
        this.scopedOperand(scope, path),
        op,
        value,
        `${scope.parentPath}.${sub.name}`,
        this.params,
      );
    }
    const target = this.resolve(path, true);
    const custom = this.target.custom?.(target.path, op, value, this.params);
    if (custom !== undefined) return custom;
    const column = this.target.columns[target.path];
    if (column) return compareOperand({ kind: 'column', column }, op, value, target.path, this.params);
    if (op === 'ne' && (target.attribute.multiValued || this.collectionOf(target))) {
      return negate(this.compare(path, 'eq', value, scope));
    }
    const collection = this.collectionOf(target);
    if (collection) {
      if (!target.sub)
        throw invalidFilter(`Attribute '${target.path}' is complex; filter on a sub-attribute`);
      const column = this.collectionColumn(collection, target.attrPath, target.sub);
      const condition = compareOperand({ kind: 'column', column }, op, value, target.path, this.params);
      return condition === 'FALSE' ? 'FALSE' : this.exists(collection.from, [collection.join, condition]);
    }
    if (target.attribute.multiValued) {
      const { alias, from } = this.elementSource(target);
      const operand: Operand = target.sub
        ? jsonOperand(target.sub, alias)
        : { kind: 'json', attribute: target.attribute, jsonb: alias, text: `${alias} #>> '{}'` };
      return this.exists(from, [compareOperand(operand, op, value, target.path, this.params)]);
    }
    return compareOperand(this.singleOperand(target), op, value, target.path, this.params);
  }

  private singleOperand(target: Target): Operand {
    if (!target.sub) return jsonOperand(target.attribute, this.attributeBase(target));
    return jsonOperand(target.sub, this.attributeJson(target));
  }

  private present(path: string, scope: Scope): string {
    if (scope.kind !== 'root') return presentOperand(this.scopedOperand(scope, path));
    const target = this.resolve(path, false);
    const custom = this.target.custom?.(target.path, 'pr', undefined, this.params);
    if (custom !== undefined) return custom;
    const column = this.target.columns[target.path];
    if (column) return presentOperand({ kind: 'column', column });
    const collection = this.collectionOf(target);
    if (collection) {
      const conditions = [collection.join];
      if (target.sub) {
        const subColumn = this.collectionColumn(collection, target.attrPath, target.sub);
        conditions.push(presentOperand({ kind: 'column', column: subColumn }));
      }
      return this.exists(collection.from, conditions);
    }
    if (target.attribute.multiValued && target.sub) {
      const { alias, from } = this.elementSource(target);
      return this.exists(from, [presentOperand(jsonOperand(target.sub, alias))]);
    }
    return presentOperand(this.singleOperand(target));
  }

  private valuePath(path: string, filter: FilterNode): string {
    const target = this.resolve(path, false);
    const { attribute } = target;
    if (target.sub || attribute.type !== 'complex') {
      throw invalidFilter(`A value filter needs a complex attribute; '${target.path}' is not one`);
    }
    const collection = this.collectionOf(target);
    if (collection) {
      const scope: Scope = { kind: 'collection', parent: attribute, parentPath: target.attrPath, collection };
      return this.exists(collection.from, [collection.join, this.compile(filter, scope)]);
    }
    if (attribute.multiValued) {
      const { alias, from } = this.elementSource(target);
      const scope: Scope = { kind: 'element', parent: attribute, parentPath: target.attrPath, base: alias };
      return this.exists(from, [this.compile(filter, scope)]);
    }
    const scope: Scope = {
      kind: 'element',
      parent: attribute,
      parentPath: target.attrPath,
      base: this.attributeJson(target),
    };
    return this.compile(filter, scope);
  }

  sortExpression(path: string): string {
    const invalid = (detail: string): ScimException => new ScimException(400, 'invalidValue', detail);
    const resolved = findAttribute(this.target.definition, path);
    if (!resolved) throw invalid(`Unknown attribute '${path}' in sortBy`);
    const target = this.resolve(path, true);
    const column = this.target.columns[target.path];
    if (column) return column.type === 'string' && !column.caseExact ? `lower(${column.sql})` : column.sql;
    if (this.collectionOf(target)) throw invalid(`Sorting by '${target.path}' is not supported`);
    const leaf = target.sub ?? target.attribute;
    if (leaf.type === 'complex')
      throw invalid(`Attribute '${target.path}' is complex; sort by a sub-attribute`);
    const orderable = (operand: Operand): string => {
      if (operand.kind === 'column') return operand.column.sql;
      if (leaf.type === 'string' || leaf.type === 'reference') {
        return leaf.caseExact ? operand.text : `lower(${operand.text})`;
      }
      if (leaf.type === 'decimal' || leaf.type === 'integer') {
        return `(CASE WHEN jsonb_typeof(${operand.jsonb}) = 'number' THEN (${operand.jsonb})::numeric END)`;
      }
      return operand.text;
    };
    if (!target.attribute.multiValued) return orderable(this.singleOperand(target));
    // RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary value, else its first value.
    const alias = `s${++this.elementAliases}`;
    const operand: Operand = target.sub
      ? jsonOperand(target.sub, `${alias}.e`)
      : { kind: 'json', attribute: leaf, jsonb: `${alias}.e`, text: `${alias}.e #>> '{}'` };
    const array = jsonArray(this.attributeJson(target));
    return (
      `(SELECT ${orderable(operand)} FROM jsonb_array_elements(${array}) WITH ORDINALITY AS ${alias}(e, n) ` +
      `ORDER BY (lower(${alias}.e->>'primary') = 'true') IS TRUE DESC, ${alias}.n LIMIT 1)`
    );
  }
}

/**
 * Compiles `text` into a SQL boolean expression over `target`, appending each literal to `params` (the
 * placeholders continue from the current length of `params`). Throws ScimException 400 `invalidFilter` for a
 * syntax error, an unknown attribute or an unsupported comparison.
 */
export function compileFilter(text: string, target: FilterTarget, params: unknown[]): string {
  return compileFilterNode(parseFilter(text), target, params);
}

/** As compileFilter, for an already parsed filter. */
export function compileFilterNode(node: FilterNode, target: FilterTarget, params: unknown[]): string {
  return new FilterCompiler(target, params).compile(node, { kind: 'root' });
}

/**
 * An ORDER BY item for RFC 7644 §3.4.2.3 sorting, or undefined when `sortBy` is absent. The caller appends a
 * stable tiebreak on id. Strings sort case-insensitively unless caseExact; resources without a value sort
 * last ascending and first descending. The RFC defines no error for a bad sortBy, so an unknown or
 * unsortable attribute, or a sortOrder other than ascending/descending, is 400 `invalidValue` (the value of
 * the parameter is not compatible with the resource's attributes).
 */
export function compileSort(
  sortBy: string | undefined,
  sortOrder: string | undefined,
  target: FilterTarget,
): string | undefined {
  if (sortBy === undefined || sortBy.trim() === '') return undefined;
  const order = (sortOrder ?? 'ascending').trim().toLowerCase();
  if (order !== 'ascending' && order !== 'descending') {
    throw new ScimException(400, 'invalidValue', `sortOrder must be 'ascending' or 'descending'`);
  }
  const expression = new FilterCompiler(target, []).sortExpression(sortBy.trim());
  return order === 'ascending' ? `${expression} ASC NULLS LAST` : `${expression} DESC NULLS FIRST`;
}

/**
 * Whether a filter can match at most one resource of a directory: it requires equality on an attribute
 * unique in the directory (`id`, or a column the target declares unique such as `userName`). A list then
 * needs no ordering, and the query planner goes straight to the unique index.
 */
export function matchesAtMostOne(node: FilterNode, target: FilterTarget): boolean {
  if (node.kind === 'and') return node.filters.some((f) => matchesAtMostOne(f, target));
  if (node.kind !== 'compare' || node.op !== 'eq' || typeof node.value !== 'string') return false;
  const resolved = findAttribute(target.definition, node.path);
  if (!resolved || resolved.subAttribute) return false;
  return resolved.canonicalPath === 'id' || (target.uniqueColumns ?? []).includes(resolved.canonicalPath);
}
