import type { SqlRunner, SqlTransaction } from '@rollcall/database';

/** Who may join a group: users of one integration's directory. */
export interface MemberScope {
  tenantId: string;
  integrationId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function distinctUuids(values: string[]): { ids: string[]; invalid: string[] } {
  const ids = new Set<string>();
  const invalid: string[] = [];
  for (const v of values) {
    if (UUID.test(v)) ids.add(v.toLowerCase());
    else invalid.push(v);
  }
  return { ids: [...ids], invalid };
}

/**
 * Batch membership changes: each is one statement whatever the size of the group, and touches only the
 * members it names (never reads the others).
 */
export const memberships = {
  /**
   * A CTE that makes every row of the data-modifying CTE `users` (new users: `id`) a member of group `$<group>`,
   * for a caller's one-statement create. $1 is the tenant.
   */
  joinGroupCte: (users: string, group: number) =>
    `gm AS (INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, $${group}, id FROM ${users} ON CONFLICT DO NOTHING)`,

  /**
   * Adds users of the scope's directory to a group (re-adding a member is not an error). Returns how many
   * members were added, the first `listed` of their ids, and the ids that name no user of the directory, so the
   * caller can refuse the change.
   */
  async add(
    tx: SqlRunner,
    scope: MemberScope,
    groupId: string,
    userIds: string[],
    listed = 0,
  ): Promise<{ added: number; addedIds: string[]; unknown: string[] }> {
    if (userIds.length === 0) return { added: 0, addedIds: [], unknown: [] };
    const [row] = await tx.query<{ added: number; added_ids: string[]; unknown: string[] }>(
      `WITH wanted AS (SELECT DISTINCT unnest($4::uuid[]) AS id),
            known AS (SELECT u.id FROM scim_users u JOIN wanted w ON w.id = u.id
                       WHERE u.tenant_id = $1 AND u.integration_id = $2),
            added AS (INSERT INTO group_members (tenant_id, group_id, user_id)
                      SELECT $1, $3, id FROM known ON CONFLICT DO NOTHING RETURNING user_id)
       SELECT (SELECT count(*) FROM added)::int AS added,
              ${listedIds('added', '$5')} AS added_ids,
              coalesce((SELECT array_agg(w.id::text) FROM wanted w WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.id = w.id)),
                       '{}'::text[]) AS unknown`,
      [scope.tenantId, scope.integrationId, groupId, userIds, listed],
    );
    return { added: row.added, addedIds: row.added_ids, unknown: row.unknown };
  },

  /**
   * Removes exactly the named members (a non-member is not an error); returns how many were removed, and the
   * first `listed` of their ids.
   */
  async remove(
    tx: SqlRunner,
    tenantId: string,
    groupId: string,
    userIds: string[],
    listed = 0,
  ): Promise<{ removed: number; removedIds: string[] }> {
    if (userIds.length === 0) return { removed: 0, removedIds: [] };
    const [row] = await tx.query<{ n: number; ids: string[] }>(
      `WITH d AS (DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND user_id = ANY($3::uuid[]) RETURNING user_id)
       SELECT count(*)::int AS n, ${listedIds('d', '$4')} AS ids FROM d`,
      [tenantId, groupId, userIds, listed],
    );
    return { removed: row.n, removedIds: row.ids };
  },

  /**
   * Moves every user of the scope's directory from group `from` to group `to` (an integration's new target
   * group), in the caller's transaction. Members of `from` that other directories provisioned stay.
   */
  async moveDirectory(tx: SqlTransaction, scope: MemberScope, from: string, to: string): Promise<void> {
    await tx.query(
      `DELETE FROM group_members m USING scim_users u
        WHERE m.tenant_id = $1 AND m.group_id = $3 AND u.tenant_id = m.tenant_id AND u.id = m.user_id AND u.integration_id = $2`,
      [scope.tenantId, scope.integrationId, from],
    );
    await tx.query(
      `INSERT INTO group_members (tenant_id, group_id, user_id)
       SELECT $1, $3, u.id FROM scim_users u WHERE u.tenant_id = $1 AND u.integration_id = $2
       ON CONFLICT DO NOTHING`,
      [scope.tenantId, scope.integrationId, to],
    );
  },

  /**
   * Makes the members exactly `userIds`: removes the others, adds the missing. Returns how many members were
   * removed and added, the first `listed` ids of each, and the unknown ids.
   */
  async replace(
    tx: SqlRunner,
    scope: MemberScope,
    groupId: string,
    userIds: string[],
    listed = 0,
  ): Promise<{
    added: number;
    addedIds: string[];
    removed: number;
    removedIds: string[];
    unknown: string[];
  }> {
    const [gone] = await tx.query<{ n: number; ids: string[] }>(
      `WITH d AS (DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND user_id <> ALL($3::uuid[]) RETURNING user_id)
       SELECT count(*)::int AS n, ${listedIds('d', '$4')} AS ids FROM d`,
      [scope.tenantId, groupId, userIds, listed],
    );
    const added = await memberships.add(tx, scope, groupId, userIds, listed);
    return { ...added, removed: gone.n, removedIds: gone.ids };
  },
};

/** The first `limit` (a parameter) user ids of the data-modifying CTE `cte`, as text, in id order. */
function listedIds(cte: string, limit: string): string {
  return `ARRAY(SELECT user_id::text FROM ${cte} ORDER BY user_id LIMIT ${limit})`;
}
