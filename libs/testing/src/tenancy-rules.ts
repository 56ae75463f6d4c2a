/**
 * The rules that let the database enforce tenancy and let the schema be distributed by tenant_id (Citus):
 * read from the PostgreSQL catalog (the schema) and from the SQL the application sends (its queries).
 * See docs/adr/0004-distributing-by-tenant.md.
 */
import { parse } from 'libpg-query';

/** Tables without tenant_id: the tenants themselves (a reference table when distributed) and TypeORM's own. */
export const TABLES_WITHOUT_TENANT = ['tenants', 'migrations'];

type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

interface ConstraintRow {
  table: string;
  kind: 'p' | 'f' | 'u';
  name: string;
  columns: string[];
  target: string | null;
  target_columns: string[] | null;
}

interface IndexRow {
  table: string;
  name: string;
  columns: string[];
  expression: boolean;
}

/**
 * What breaks the rules in the schema `schema` of the database behind `query`:
 * - every table but TABLES_WITHOUT_TENANT has a NOT NULL tenant_id;
 * - its primary key starts with tenant_id (so (tenant_id, id), or (tenant_id, …) for a join table);
 * - every foreign key to another tenant-owned table pairs tenant_id with tenant_id; one to tenants is
 *   (tenant_id) → tenants(id);
 * - every unique index (and unique constraint) includes tenant_id.
 */
export async function catalogViolations(query: Query, schema = 'public'): Promise<string[]> {
  const tables = await query<{ table: string; tenant_id: 'nullable' | 'not null' | null }>(
    `SELECT c.relname AS table,
            (SELECT CASE WHEN a.attnotnull THEN 'not null' ELSE 'nullable' END
               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant_id
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
      ORDER BY 1`,
    [schema],
  );
  const owned = new Set(tables.filter((t) => !TABLES_WITHOUT_TENANT.includes(t.table)).map((t) => t.table));
  const out: string[] = [];
  for (const t of tables) {
    if (!owned.has(t.table)) continue;
    if (t.tenant_id === null) out.push(`${t.table}: no tenant_id column`);
    else if (t.tenant_id === 'nullable') out.push(`${t.table}: tenant_id may be null`);
  }

  const constraints = await query<ConstraintRow>(
    `SELECT c.relname AS table, k.contype AS kind, k.conname AS name,
            ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i) AS columns,
            f.relname AS target,
            CASE WHEN k.contype = 'f' THEN
              ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
                      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i) END AS target_columns
       FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class f ON f.oid = k.confrelid
      WHERE n.nspname = $1 AND k.contype IN ('p', 'f', 'u')
      ORDER BY 1, 3`,
    [schema],
  );
  for (const table of owned) {
    const pk = constraints.find((k) => k.table === table && k.kind === 'p');
    if (!pk) out.push(`${table}: no primary key`);
    else if (pk.columns[0] !== 'tenant_id')
      out.push(`${table}: primary key ${pk.name} (${pk.columns.join(',')}) does not start with tenant_id`);
  }
  for (const k of constraints.filter((c) => c.kind === 'f' && owned.has(c.table))) {
    const pairs = k.columns.map((c, i) => [c, k.target_columns![i]]);
    const ok =
      k.target === 'tenants'
        ? pairs.length === 1 && pairs[0][0] === 'tenant_id' && pairs[0][1] === 'id'
        : owned.has(k.target!) && pairs.some(([c, r]) => c === 'tenant_id' && r === 'tenant_id');
    if (!ok)
      out.push(
        `${k.table}: foreign key ${k.name} (${k.columns.join(',')}) → ${k.target}(${(k.target_columns ?? []).join(',')}) does not pair tenant_id`,
      );
  }

  const indexes = await query<IndexRow>(
    `SELECT c.relname AS table, i.relname AS name,
            ARRAY(SELECT a.attname::text FROM unnest(x.indkey) u(n)
                    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.n) AS columns,
            x.indexprs IS NOT NULL AS expression
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND x.indisunique
      ORDER BY 1, 2`,
    [schema],
  );
  for (const ix of indexes.filter((i) => owned.has(i.table))) {
    if (!ix.columns.includes('tenant_id'))
      out.push(`${ix.table}: unique index ${ix.name} does not include tenant_id`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Queries: every statement that reads or writes a tenant-owned table is pinned to one tenant.

type Node = Record<string, unknown>;

const STATEMENTS = ['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt'] as const;

interface Scope {
  /** Alias (or name) → the table it stands for, for every relation of this scope. */
  relations: Map<string, string>;
  /** Aliases of derived tables (CTEs, sub-selects), which are checked on their own. */
  derived: Set<string>;
  /** The AND-ed conditions of WHERE and of the joins, each with what it may pin. */
  conditions: Condition[];
}

/**
 * An AND-ed condition, and the aliases it may pin (all when undefined). An outer join's condition only
 * decides which rows of its nullable side are joined: every row of the preserved side stays, so the
 * condition pins only the nullable side (LEFT JOIN: the right; RIGHT JOIN: the left; FULL JOIN: neither).
 */
interface Condition {
  expr: Node;
  pins?: ReadonlySet<string>;
}

/**
 * Why `sql` is not pinned to one tenant, or [] when it is. A statement is pinned when every reference to a
 * table in `tenantTables` is constrained by `tenant_id = <parameter or constant>`, directly or through a
 * chain of `a.tenant_id = b.tenant_id` equalities (joins, correlated sub-queries) to such a constraint;
 * an INSERT names tenant_id among its columns. Conditions under OR or NOT do not pin. This is what lets
 * Citus route a statement to the one shard of its tenant.
 */
export async function routingViolations(sql: string, tenantTables: ReadonlySet<string>): Promise<string[]> {
  const tree = (await parse(sql)) as { stmts: { stmt: Node }[] };
  const out: string[] = [];
  const ctes = new Set<string>();
  for (const { stmt } of tree.stmts) visitStatement(stmt, new Map(), tenantTables, ctes, out);
  return out;
}

function visitStatement(
  wrapper: Node,
  outerPinned: Map<string, string>,
  tenantTables: ReadonlySet<string>,
  ctes: Set<string>,
  out: string[],
): void {
  const kind = STATEMENTS.find((k) => k in wrapper);
  if (!kind) return;
  const stmt = wrapper[kind] as Node;
  const withClause = stmt.withClause as { ctes?: { CommonTableExpr: Node }[] } | undefined;
  for (const cte of withClause?.ctes ?? []) {
    ctes.add(cte.CommonTableExpr.ctename as string);
    visitStatement(cte.CommonTableExpr.ctequery as Node, outerPinned, tenantTables, ctes, out);
  }
  if (kind === 'SelectStmt' && stmt.op && stmt.op !== 'SETOP_NONE') {
    visitStatement({ SelectStmt: stmt.larg }, outerPinned, tenantTables, ctes, out);
    visitStatement({ SelectStmt: stmt.rarg }, outerPinned, tenantTables, ctes, out);
    return;
  }

  const scope: Scope = { relations: new Map(), derived: new Set(), conditions: [] };
  const nested: Node[] = [];
  const from: Node[] = [];
  if (kind === 'SelectStmt') from.push(...((stmt.fromClause as Node[]) ?? []));
  if (kind === 'UpdateStmt') from.push({ RangeVar: stmt.relation }, ...((stmt.fromClause as Node[]) ?? []));
  if (kind === 'DeleteStmt') from.push({ RangeVar: stmt.relation }, ...((stmt.usingClause as Node[]) ?? []));
  for (const item of from) addFromItem(item, scope, ctes, nested);
  conjuncts(stmt.whereClause as Node | undefined, undefined, scope.conditions);

  // The expressions of this scope may hold sub-queries: they see this scope's pinned relations.
  for (const key of [
    'whereClause',
    'targetList',
    'returningList',
    'valuesLists',
    'onConflictClause',
    'havingClause',
  ]) {
    collectStatements(stmt[key], nested);
  }

  if (kind === 'InsertStmt') {
    const table = (stmt.relation as Node).relname as string;
    const columns = ((stmt.cols as { ResTarget: Node }[]) ?? []).map((c) => c.ResTarget.name as string);
    if (tenantTables.has(table) && !columns.includes('tenant_id'))
      out.push(`INSERT INTO ${table} without tenant_id`);
    if (stmt.selectStmt) nested.push(stmt.selectStmt as Node);
  }

  const pinned = pin(scope, outerPinned);
  for (const [alias, table] of scope.relations) {
    if (tenantTables.has(table) && !pinned.has(alias))
      out.push(`${table}${alias === table ? '' : ` (${alias})`} is not pinned to one tenant`);
  }
  const visible = new Map([...outerPinned, ...pinned]);
  for (const n of nested) visitStatement(n, visible, tenantTables, ctes, out);
}

/** Adds a FROM item's relations and conditions to `scope`; returns the aliases it brought in. */
function addFromItem(item: Node, scope: Scope, ctes: Set<string>, nested: Node[]): Set<string> {
  if (item.RangeVar) {
    const rv = item.RangeVar as Node;
    const name = rv.relname as string;
    const alias = ((rv.alias as Node | undefined)?.aliasname as string | undefined) ?? name;
    if (ctes.has(name)) scope.derived.add(alias);
    else scope.relations.set(alias, name);
    return new Set([alias]);
  } else if (item.JoinExpr) {
    const j = item.JoinExpr as Node;
    const left = addFromItem(j.larg as Node, scope, ctes, nested);
    const right = addFromItem(j.rarg as Node, scope, ctes, nested);
    const pins: Record<string, ReadonlySet<string> | undefined> = {
      JOIN_INNER: undefined,
      JOIN_LEFT: right,
      JOIN_RIGHT: left,
      JOIN_FULL: new Set(),
    };
    const jointype = j.jointype as string;
    conjuncts(j.quals as Node | undefined, jointype in pins ? pins[jointype] : new Set(), scope.conditions);
    collectStatements(j.quals, nested);
    return new Set([...left, ...right]);
  } else if (item.RangeSubselect) {
    const s = item.RangeSubselect as Node;
    const alias = (s.alias as Node).aliasname as string;
    scope.derived.add(alias);
    nested.push(s.subquery as Node);
    return new Set([alias]);
  } else if (item.RangeFunction) {
    const f = item.RangeFunction as Node;
    const alias = (f.alias as Node | undefined)?.aliasname as string | undefined;
    if (alias) scope.derived.add(alias);
    collectStatements(f.functions, nested);
    return new Set(alias ? [alias] : []);
  }
  return new Set();
}

/** The AND-ed parts of a condition (not those under OR or NOT), each able to pin `pins`. */
function conjuncts(expr: Node | undefined, pins: ReadonlySet<string> | undefined, into: Condition[]): void {
  if (!expr) return;
  const b = expr.BoolExpr as Node | undefined;
  if (b?.boolop === 'AND_EXPR') for (const a of b.args as Node[]) conjuncts(a, pins, into);
  else into.push({ expr, pins });
}

/** Every statement nested in `value`, without descending into them. */
function collectStatements(value: unknown, into: Node[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectStatements(v, into);
  } else if (value && typeof value === 'object') {
    const node = value as Node;
    if (STATEMENTS.some((k) => k in node)) into.push(node);
    else for (const v of Object.values(node)) collectStatements(v, into);
  }
}

type Operand = { column: [string | undefined, string] } | { value: true } | undefined;

function operand(e: Node): Operand {
  if (e.TypeCast) return operand((e.TypeCast as Node).arg as Node);
  if (e.ParamRef || e.A_Const) return { value: true };
  if (e.ColumnRef) {
    const fields = ((e.ColumnRef as Node).fields as { String?: { sval: string } }[]).map(
      (f) => f.String?.sval,
    );
    if (fields.some((f) => f === undefined)) return undefined;
    return fields.length === 1
      ? { column: [undefined, fields[0]!] }
      : { column: [fields.at(-2), fields.at(-1)!] };
  }
  return undefined;
}

/** The aliases of this scope that are pinned to one tenant, with their tables. */
function pin(scope: Scope, outerPinned: Map<string, string>): Map<string, string> {
  const own = [...scope.relations.keys()];
  const pinned = new Map<string, string>();
  const known = (alias: string | undefined): string | undefined => {
    if (alias === undefined) return own.length === 1 ? own[0] : undefined;
    return scope.relations.has(alias) || scope.derived.has(alias) || outerPinned.has(alias)
      ? alias
      : undefined;
  };
  const isPinned = (alias: string) =>
    pinned.has(alias) || scope.derived.has(alias) || (!scope.relations.has(alias) && outerPinned.has(alias));
  /** [x, y]: x is pinned when y is. */
  const edges: [string, string][] = [];
  for (const { expr, pins } of scope.conditions) {
    const e = expr.A_Expr as Node | undefined;
    if (!e || e.kind !== 'AEXPR_OP' || (e.name as { String: { sval: string } }[])[0].String.sval !== '=')
      continue;
    const [l, r] = [operand(e.lexpr as Node), operand(e.rexpr as Node)];
    for (const [a, b] of [
      [l, r],
      [r, l],
    ] as const) {
      if (!a || !('column' in a) || a.column[1] !== 'tenant_id') continue;
      const alias = known(a.column[0]);
      if (!alias || (pins && !pins.has(alias))) continue;
      if (b && 'value' in b) pinned.set(alias, scope.relations.get(alias) ?? alias);
      else if (b && 'column' in b && b.column[1] === 'tenant_id') {
        const other = known(b.column[0]);
        if (other) edges.push([alias, other]);
      }
    }
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const [x, y] of edges) {
      if (isPinned(y) && !pinned.has(x)) {
        pinned.set(x, scope.relations.get(x) ?? x);
        changed = true;
      }
    }
  }
  return pinned;
}
