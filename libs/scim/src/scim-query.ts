import type { ScimCaller } from '@rollcall/tokens';
import { compileFilterNode, compileSort, matchesAtMostOne, parseFilter, type FilterTarget } from './filter';
import type { ScimListQuery } from './scim-list';
import { ScimException } from './scim.exception';

/** What /Users and /Groups share when they list a directory. */
export interface DirectoryQuery {
  /** `<alias>.tenant_id = $1 AND <alias>.integration_id = $2`, and the compiled filter. */
  where: string;
  params: unknown[];
  /** `ORDER BY …` (sortBy, then a stable tiebreak), or '' when the filter matches one resource at most. */
  order: string;
  offset: number;
}

/**
 * The WHERE and ORDER BY of a list of one integration's directory. A filter that can match one resource at
 * most (`userName eq`, `id eq`) gets no ORDER BY: it needs none, and one could tempt the planner off the
 * unique index.
 */
export function directoryQuery(caller: ScimCaller, q: ScimListQuery, target: FilterTarget): DirectoryQuery {
  const a = target.alias;
  const params: unknown[] = [caller.tenantId, caller.integrationId];
  let where = `${a}.tenant_id = $1 AND ${a}.integration_id = $2`;
  let single = false;
  if (q.filter !== undefined && q.filter.trim() !== '') {
    const filter = parseFilter(q.filter);
    where += ` AND (${compileFilterNode(filter, target, params)})`;
    single = matchesAtMostOne(filter, target);
  }
  const sort = compileSort(q.sortBy, q.sortOrder, target);
  const order = single ? '' : `ORDER BY ${sort ? `${sort}, ` : ''}${a}.created_at, ${a}.id`;
  return { where, params, order, offset: q.startIndex - 1 };
}

/**
 * The exact `totalResults`: a short page read from a known position gives it without a second statement;
 * otherwise `count()` runs.
 */
export async function exactTotal(
  returned: number,
  q: ScimListQuery,
  count: () => Promise<{ n: string }[]>,
): Promise<number> {
  const offset = q.startIndex - 1;
  if (q.count > 0 && returned < q.count && (returned > 0 || offset === 0)) return offset + returned;
  return Number((await count())[0].n);
}

/** `a.id, a.name, …` from `id, name, …`. */
export function qualified(columns: string, alias: string): string {
  return columns
    .split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');
}

export function checkVersion(ifMatch: number | undefined, version: number): void {
  if (ifMatch !== undefined && ifMatch !== version) throw preconditionFailed();
}

export function preconditionFailed(): ScimException {
  return new ScimException(412, undefined, 'The resource has changed: its ETag no longer matches If-Match');
}

export function resourceNotFound(type: 'User' | 'Group', id: string): ScimException {
  return new ScimException(404, undefined, `${type} ${id} not found`);
}
