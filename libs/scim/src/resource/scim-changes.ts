/**
 * What a write changed, as the sync activity log keeps it (`scim_events.changes`): an object from each changed
 * attribute's path to `{ from, to }` — `from` absent when the attribute was not set before, `to` absent when it
 * was removed. Paths are SCIM attribute notation down to sub-attributes (`title`, `name.givenName`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`); a multi-valued attribute
 * (`emails`, `phoneNumbers`) is one path with its whole old and new list. The password is only
 * `password: { changed: true }`; a group's members are `members: { added, removed, addedIds, removedIds }`.
 *
 * The changes are computed by the write's own statement, from the row it replaces, so that a write stays one
 * statement whatever it changes: these are SQL fragments for the statements of the SCIM services.
 */

/** Strings longer than this are cut, with a marker that says how long they were. */
export const MAX_CHANGE_STRING = 256;
/** Values whose JSON is longer than this (after strings were cut) are replaced by a marker. */
export const MAX_CHANGE_VALUE_BYTES = 1024;
/** How many added and removed member ids a membership change lists (the counts are always exact). */
export const MAX_CHANGE_MEMBER_IDS = 100;

/**
 * A jsonb value as the activity log shows it: a long string cut, a long value replaced by its size. The cut
 * values are built with `format`, not `||` on numbers (each of which PostgreSQL sets up as a cast and a call for
 * every execution of the statement, taken or not).
 */
function shown(v: string): string {
  return `CASE WHEN jsonb_typeof(${v}) = 'string' AND length(${v} #>> '{}') > ${MAX_CHANGE_STRING}
                 THEN to_jsonb(format('%s…[cut: %s characters]', left(${v} #>> '{}', ${MAX_CHANGE_STRING}), length(${v} #>> '{}')))
               WHEN octet_length(${v}::text) > ${MAX_CHANGE_VALUE_BYTES}
                 THEN to_jsonb(format('…[cut: a value of %s bytes]', octet_length(${v}::text)))
               ELSE ${v} END`;
}

/**
 * A jsonb expression: one attribute's change, `{ from, to }` from `was` and `now` (jsonb expressions, SQL null
 * when the attribute is not set). Each value's `shown` appears once in the statement: every copy of it costs
 * each execution of the statement its setting up, whether its branch is taken or not.
 */
function changeSql(was: string, now: string): string {
  return `(CASE WHEN ${was} IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('from', ${shown(was)}) END
           || CASE WHEN ${now} IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('to', ${shown(now)}) END)`;
}

export interface ChangesSqlOptions {
  /** A query of the top-level attribute names that may differ; every name of either resource by default. */
  keys?: string;
  /** A jsonb expression merged into the changes (the password's, the members'). */
  extra?: string;
}

/**
 * A jsonb expression: the changes from the resource `before` to `after` (jsonb expressions), or null when there
 * are none. Complex attributes are compared one level down (their sub-attributes); anything deeper, and lists,
 * whole.
 */
export function changesSql(before: string, after: string, options: ChangesSqlOptions = {}): string {
  // The names of either resource: `after`'s, then those only `before` has (UNION ALL: no hash table to set up).
  const keys =
    options.keys ??
    `SELECT jsonb_object_keys(${after}) UNION ALL SELECT b.k FROM jsonb_object_keys(${before}) b(k) WHERE NOT ${after} ? b.k`;
  const diff = `(WITH t AS (SELECT k.k, ${before} -> k.k AS was, ${after} -> k.k AS now FROM (${keys}) k(k)
                             WHERE (${before} -> k.k) IS DISTINCT FROM (${after} -> k.k))
      SELECT jsonb_object_agg(d.path, ${changeSql('d.was', 'd.now')})
        FROM (SELECT t.k AS path, t.was, t.now FROM t
               WHERE jsonb_typeof(t.was) IS DISTINCT FROM 'object' OR jsonb_typeof(t.now) IS DISTINCT FROM 'object'
              UNION ALL
              SELECT ${subPath('t.k', 's.k')}, t.was -> s.k, t.now -> s.k
                FROM t, LATERAL (SELECT jsonb_object_keys(t.now) UNION ALL
                                 SELECT b.k FROM jsonb_object_keys(t.was) b(k) WHERE NOT t.now ? b.k) s(k)
               WHERE jsonb_typeof(t.was) = 'object' AND jsonb_typeof(t.now) = 'object'
                 AND (t.was -> s.k) IS DISTINCT FROM (t.now -> s.k)) d)`;
  return `nullif(coalesce(${diff}, '{}'::jsonb)${options.extra ? ` || ${options.extra}` : ''}, '{}'::jsonb)`;
}

/** The path of the sub-attribute `sub` of `attribute` (text expressions): `name.givenName`, `urn:…:User:department`. */
function subPath(attribute: string, sub: string): string {
  return `${attribute} || CASE WHEN ${attribute} LIKE 'urn:%' THEN ':' ELSE '.' END || ${sub}`;
}

/**
 * A jsonb expression: what the assignments `assigned` (a jsonb object) changed in the resource `before`, which
 * became `after` — the same as {@link changesSql} of the two, or null when nothing changed, for a fraction of its
 * cost: only the assigned attributes are looked at. `after` is `before || assigned` when no assigned value is an
 * object (`nested` false: nothing is compared below the top level); with `nested`, an object assigned to an object
 * was merged into it (`name: { givenName }`), and only its own sub-attributes are compared.
 */
export function assignedChangesSql(before: string, after: string, assigned: string, nested: boolean): string {
  if (!nested) {
    return `(SELECT jsonb_object_agg(d.key, ${changeSql(`(${before} -> d.key)`, 'd.value')})
               FROM jsonb_each(${assigned}) d WHERE (${before} -> d.key) IS DISTINCT FROM d.value)`;
  }
  const merged = `jsonb_typeof(${before} -> d.key) = 'object' AND jsonb_typeof(d.value) = 'object'`;
  return `(SELECT jsonb_object_agg(c.path, ${changeSql('c.was', 'c.now')})
             FROM (SELECT d.key AS path, ${before} -> d.key AS was, ${after} -> d.key AS now FROM jsonb_each(${assigned}) d
                    WHERE (${merged}) IS NOT TRUE AND (${before} -> d.key) IS DISTINCT FROM (${after} -> d.key)
                   UNION ALL
                   SELECT ${subPath('d.key', 's.key')}, ${before} -> d.key -> s.key, s.value
                     FROM jsonb_each(${assigned}) d, jsonb_each(CASE WHEN ${merged} THEN d.value END) s
                    WHERE (${before} -> d.key -> s.key) IS DISTINCT FROM s.value) c)`;
}

/** A jsonb expression: the password's change when `hash` (a text expression, the new hash) is not null. */
export function passwordChangeSql(hash: string): string {
  return `(CASE WHEN ${hash} IS NULL THEN '{}' ELSE '{"password":{"changed":true}}' END)::jsonb`;
}

/** A membership change as the activity log keeps it: exact counts, at most MAX_CHANGE_MEMBER_IDS ids each. */
export interface MembersChangeSummary {
  added: number;
  removed: number;
  addedIds: string[];
  removedIds: string[];
}

/** The `members` entry of a group's changes, or null when no membership changed. */
export function membersChanges(summary: MembersChangeSummary): { members: MembersChangeSummary } | null {
  if (summary.added === 0 && summary.removed === 0) return null;
  return {
    members: {
      added: summary.added,
      removed: summary.removed,
      addedIds: summary.addedIds.slice(0, MAX_CHANGE_MEMBER_IDS),
      removedIds: summary.removedIds.slice(0, MAX_CHANGE_MEMBER_IDS),
    },
  };
}
