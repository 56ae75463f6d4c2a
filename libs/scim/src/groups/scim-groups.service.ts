import { Inject, Injectable } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { APP_CONFIG, type AppConfig } from '@rollcall/common';
import { isUniqueViolation, SqlService, StatisticsService, type SqlRunner } from '@rollcall/database';
import { distinctUuids, memberships, pushedGroupWrites, type MemberScope } from '@rollcall/groups';
import type { ScimCaller } from '@rollcall/tokens';
import { GROUP_FILTER_TARGET, isUuid } from '../filter';
import { applyPatch, parsePatchBody, type MembersChange } from '../patch';
import { parseProjection, type Projection, type ProjectionOptions } from '../projection';
import {
  changesSql,
  checkResourceSize,
  findKey,
  getIgnoringCase,
  isPlainObject,
  MAX_CHANGE_MEMBER_IDS,
  membersChanges,
  type MembersChangeSummary,
  normalizeResource,
  type ScimResource,
} from '../resource';
import { GROUP_RESOURCE } from '../schema';
import { ScimException } from '../scim.exception';
import {
  checkIndexedText,
  GROUP_PAGE_MEMBERS,
  limitExceeded,
  MAX_GROUP_MEMBERS,
  MAX_GROUP_RESOURCE_BYTES,
  MAX_MEMBERS_PER_REQUEST,
} from '../scim-limits';
import { ScimNoContent, ScimResourceResult } from '../scim-http';
import { ScimPage, type ScimListQuery } from '../scim-list';
import {
  checkVersion,
  directoryQuery,
  exactTotal,
  preconditionFailed,
  qualified,
  resourceNotFound,
} from '../scim-query';
import {
  eventValues,
  ScimEventsService,
  withEvent,
  type ScimRequestContext,
  type ScimUnchanged,
} from '@rollcall/integrations';

interface GroupRow {
  id: string;
  name: string;
  resource: ScimResource;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface MemberRow {
  group_id: string;
  user_id: string;
  display: string;
}

const COLUMNS = 'id, name, resource, version, created_at, updated_at';
/** What a write returns when the caller holds the resource it stored: it is never read back. */
const WRITTEN = 'id, name, version, created_at, updated_at';

const INSERT_GROUP = withEvent(pushedGroupWrites.insert(WRITTEN), {
  cte: 'g',
  ownParams: 5,
  resourceType: 'Group',
  nameColumn: 'name',
});
/** An update; $7 the group as it was, $8 the `members` entry of the changes (or null), for the event. */
const UPDATE_GROUP = withEvent(
  pushedGroupWrites.update(
    `${WRITTEN}, ${changesSql('$7::jsonb', 'resource', { extra: `coalesce($8::jsonb, '{}'::jsonb)` })} AS changes`,
  ),
  { cte: 'g', ownParams: 8, resourceType: 'Group', nameColumn: 'name', changesColumn: 'changes' },
);
const DELETE_GROUP = withEvent(pushedGroupWrites.delete('id, name'), {
  cte: 'g',
  ownParams: 4,
  resourceType: 'Group',
  nameColumn: 'name',
});

/** A row of a list page: how many groups the page had before GROUP_PAGE_MEMBERS cut it (a bigint, as text). */
interface PageRow extends GroupRow {
  page_size?: string;
}

/** The indexed columns derived from a resource. */
interface GroupColumns {
  displayName: string;
  externalId: string | null;
}

/**
 * SCIM /Groups of one integration's directory. Groups pushed by an identity provider are groups of the
 * tenant owned by the integration; their members are users of the same directory (groups do not nest).
 * Membership changes cost in proportion to the members they name, never to the size of the group.
 */
@Injectable()
export class ScimGroupsService {
  private readonly baseUrl: string;
  private readonly userRefPrefix: string;
  private readonly maxResourceBytes: number;
  readonly maxResultsLimit: number;

  constructor(
    private readonly sql: SqlService,
    private readonly statistics: StatisticsService,
    private readonly events: ScimEventsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.baseUrl = `${config.publicUrl}/scim/v2`;
    // `"https://…/scim/v2/Users/` as JSON text, without its closing quote: a member's `$ref` is this, its id, `"`.
    this.userRefPrefix = JSON.stringify(`${this.baseUrl}/Users/`).slice(0, -1);
    this.maxResourceBytes = config.bodyLimitBytes;
    this.maxResultsLimit = config.scimMaxResults;
  }

  async create(
    ctx: ScimRequestContext,
    body: unknown,
    options: ProjectionOptions,
  ): Promise<ScimResourceResult> {
    const { caller } = ctx;
    const projection = parseProjection(options, GROUP_RESOURCE);
    const { resource, json, members } = normalizeGroup(body, 'create');
    const { displayName, externalId } = columnsOf(resource);
    const params = [
      caller.tenantId,
      caller.integrationId,
      displayName,
      externalId,
      json,
      ...eventValues(ctx, 201),
    ];
    const create = async (db: SqlRunner): Promise<GroupRow> => {
      const [created] = await db.query<GroupRow>(INSERT_GROUP, params);
      return { ...created, resource };
    };
    // Without members (Okta pushes a group with `members: []`), one statement is the whole change.
    const row =
      members === undefined || members.length === 0
        ? await this.inTransaction(displayName, create, false)
        : await this.inTransaction(displayName, async (tx) => {
            const created = await create(tx);
            await this.applyMembers(tx, caller, created.id, { replaceAll: false, add: members, remove: [] });
            return created;
          });
    this.events.changeLogged();
    return this.result(caller, row, projection);
  }

  async get(caller: ScimCaller, id: string, options: ProjectionOptions): Promise<ScimResourceResult> {
    const projection = parseProjection(options, GROUP_RESOURCE);
    const row = await this.find(this.sql, caller, id, false);
    if (!row) throw notFound(id);
    return this.result(caller, row, projection);
  }

  /** The resource's current version, for a write's precondition (404 when there is no such resource). */
  async currentVersion(caller: ScimCaller, id: string): Promise<number> {
    if (!isUuid(id)) throw notFound(id);
    const rows = await this.sql.query<{ version: number }>(
      'SELECT version FROM groups WHERE tenant_id = $1 AND integration_id = $2 AND id = $3',
      [caller.tenantId, caller.integrationId, id],
      true,
    );
    if (!rows[0]) throw notFound(id);
    return rows[0].version;
  }

  async list(caller: ScimCaller, q: ScimListQuery): Promise<ScimPage> {
    const projection = parseProjection(q, GROUP_RESOURCE);
    const { where, params, order, offset } = directoryQuery(caller, q, GROUP_FILTER_TARGET);
    const withMembers = projection.wants('members');
    let rows: PageRow[] = [];
    if (q.count > 0) {
      rows = await this.sql.query<PageRow>(
        withMembers
          ? // The page is chosen on ids first, then cut before the group that would take its members over
            // GROUP_PAGE_MEMBERS (the first group always stays); only the groups kept are read. Each group's
            // members are counted on the membership index, and no further than the budget.
            `SELECT ${qualified(COLUMNS, 'g')}, b.page_size
               FROM (SELECT p.id, p.ord, p.page_size,
                            sum(c.n) OVER (ORDER BY p.ord ROWS UNBOUNDED PRECEDING) AS page_members
                       FROM (SELECT page.id, row_number() OVER () AS ord, count(*) OVER () AS page_size
                               FROM (SELECT g.id FROM groups g WHERE ${where}
                                      ${order} LIMIT ${q.count} OFFSET ${offset}) page) p
                       CROSS JOIN LATERAL (
                         SELECT count(*) AS n FROM (SELECT 1 FROM group_members m
                                                     WHERE m.tenant_id = $1 AND m.group_id = p.id
                                                     LIMIT ${GROUP_PAGE_MEMBERS + 1}) capped) c) b
               JOIN groups g ON g.id = b.id AND g.tenant_id = $1
              WHERE b.ord = 1 OR b.page_members <= ${GROUP_PAGE_MEMBERS}
              ORDER BY b.ord`
          : `SELECT ${qualified(COLUMNS, 'g')} FROM groups g WHERE ${where} ${order} LIMIT ${q.count} OFFSET ${offset}`,
        params,
      );
    }
    // Cut short by the member budget or not, the page's rows before the cut say whether the directory ends here.
    const pageSize = withMembers && rows.length > 0 ? Number(rows[0].page_size) : rows.length;
    const total = await exactTotal(pageSize, q, () =>
      this.sql.query<{ n: string }>(`SELECT count(*) AS n FROM groups g WHERE ${where}`, params),
    );
    const members = withMembers
      ? await this.members(
          caller,
          rows.map((r) => r.id),
        )
      : undefined;
    return new ScimPage(
      rows.map((r) => this.render(r, members?.get(r.id) ?? (members ? [] : undefined), projection)),
      total,
      q.startIndex,
    );
  }

  async replace(
    ctx: ScimRequestContext,
    id: string,
    body: unknown,
    ifMatch: number | undefined,
    options: ProjectionOptions,
  ): Promise<ScimResourceResult> {
    const { caller } = ctx;
    if (!isUuid(id)) throw notFound(id);
    const projection = parseProjection(options, GROUP_RESOURCE);
    const { resource, json, members } = normalizeGroup(body, 'replace');
    const columns = columnsOf(resource);
    let changed = true;
    const row = await this.inTransaction(columns.displayName, async (tx) => {
      const current = await this.find(tx, caller, id, true);
      if (!current) throw notFound(id);
      checkVersion(ifMatch, current.version);
      // PUT replaces the resource, members included: the members given, or none.
      const membersChange = await this.applyMembers(tx, caller, id, {
        replaceAll: true,
        add: members ?? [],
        remove: [],
      });
      // A PUT that leaves the group as it was (re-sent) writes nothing: no new version, an `unchanged` event.
      if (membersChanges(membersChange) === null && isDeepStrictEqual(current.resource, resource)) {
        changed = false;
        await this.events.recordUnchanged(tx, ctx, unchangedGroup(current), 200, false);
        return current;
      }
      return this.write(tx, ctx, id, current.resource, resource, json, columns, membersChange);
    });
    this.events.changeLogged(changed ? 'changed' : 'unchanged');
    return this.result(caller, row, projection);
  }

  async patch(
    ctx: ScimRequestContext,
    id: string,
    body: unknown,
    ifMatch: number | undefined,
    options: ProjectionOptions,
  ): Promise<ScimResourceResult | ScimNoContent> {
    const { caller } = ctx;
    if (!isUuid(id)) throw notFound(id);
    let name: string | undefined;
    let written = false;
    const wantsBody = options.attributes !== undefined || options.excludedAttributes !== undefined;
    const status = wantsBody ? 200 : 204;
    const projection = parseProjection(options, GROUP_RESOURCE);
    // Validated before the row is locked; only applying the operations needs the stored group.
    const operations = parsePatchBody(body);
    const row = await this.inTransaction(
      () => name,
      async (tx) => {
        const current = await this.find(tx, caller, id, true);
        if (!current) throw notFound(id);
        checkVersion(ifMatch, current.version);
        const patched = applyPatch(current.resource, operations, GROUP_RESOURCE, { resourceId: id });
        const json = patched.changed ? checkGroupSize(patched.resource, this.maxResourceBytes) : undefined;
        const columns = columnsOf(patched.resource);
        name = columns.displayName;
        // A PATCH that changes nothing (a re-added member, a removed non-member) writes nothing: no new
        // version, an `unchanged` event.
        const membersChange = patched.members
          ? await this.applyMembers(tx, caller, id, patched.members)
          : NO_MEMBERS_CHANGE;
        if (!patched.changed && membersChanges(membersChange) === null) {
          await this.events.recordUnchanged(tx, ctx, unchangedGroup(current), status, false);
          return current;
        }
        written = true;
        return this.write(
          tx,
          ctx,
          id,
          current.resource,
          patched.resource,
          json,
          columns,
          membersChange,
          status,
        );
      },
    );
    this.events.changeLogged(written ? 'changed' : 'unchanged');
    return wantsBody ? this.result(caller, row, projection) : new ScimNoContent(row.version);
  }

  async delete(ctx: ScimRequestContext, id: string, ifMatch: number | undefined): Promise<void> {
    const { caller } = ctx;
    if (!isUuid(id)) throw notFound(id);
    const params = [caller.tenantId, caller.integrationId, id, ifMatch ?? null, ...eventValues(ctx, 204)];
    const rows = await this.sql.query<{ id: string }>(DELETE_GROUP, params, true);
    if (rows.length === 0) {
      if (ifMatch !== undefined && (await this.find(this.sql, caller, id, false))) throw preconditionFailed();
      throw notFound(id);
    }
    this.events.changeLogged();
  }

  /**
   * Applies a net membership change in at most two statements; a member added that is no user of this
   * directory is a 400, and so is a group taken over MAX_GROUP_MEMBERS. Returns the members added and removed
   * (re-adding a member or removing a non-member changes none): counts, and the first ids, for the activity
   * log. The caller holds the group's row lock (or has just created it), so the count it checks cannot be
   * raised by a concurrent change.
   */
  private async applyMembers(
    tx: SqlRunner,
    caller: ScimCaller,
    groupId: string,
    change: MembersChange,
  ): Promise<MembersChangeSummary> {
    const scope: MemberScope = { tenantId: caller.tenantId, integrationId: caller.integrationId };
    const adding = distinctUuids(change.add);
    if (adding.invalid.length > 0) throw unknownMembers(adding.invalid);
    if (change.replaceAll && adding.ids.length > MAX_GROUP_MEMBERS) throw tooManyMembers(groupId);
    const { unknown, ...result } = change.replaceAll
      ? await memberships.replace(tx, scope, groupId, adding.ids, MAX_CHANGE_MEMBER_IDS)
      : await this.removeThenAdd(tx, scope, groupId, distinctUuids(change.remove).ids, adding.ids);
    if (unknown.length > 0) throw unknownMembers(unknown);
    // A replacement has exactly the members it names (checked above); an addition is checked here, by
    // counting no further than one past the limit. The whole change rolls back with the 400.
    if (
      !change.replaceAll &&
      result.added > 0 &&
      (await this.membersOver(tx, caller.tenantId, groupId, MAX_GROUP_MEMBERS))
    ) {
      throw tooManyMembers(groupId);
    }
    this.statistics.noteWrites('group_members', result.added + result.removed);
    return result;
  }

  /** Whether the group has more than `limit` members; reads at most `limit + 1` entries of the index. */
  private async membersOver(
    tx: SqlRunner,
    tenantId: string,
    groupId: string,
    limit: number,
  ): Promise<boolean> {
    const [row] = await tx.query<{ over: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM group_members WHERE tenant_id = $1 AND group_id = $2 OFFSET ${limit}) AS over`,
      [tenantId, groupId],
    );
    return row.over;
  }

  /** Removes and adds members (two disjoint sets); a member id that is not a UUID names no member to remove. */
  private async removeThenAdd(
    tx: SqlRunner,
    scope: MemberScope,
    groupId: string,
    removed: string[],
    added: string[],
  ): Promise<MembersChangeSummary & { unknown: string[] }> {
    const gone = await memberships.remove(tx, scope.tenantId, groupId, removed, MAX_CHANGE_MEMBER_IDS);
    const joined = await memberships.add(tx, scope, groupId, added, MAX_CHANGE_MEMBER_IDS);
    return { ...gone, ...joined };
  }

  /**
   * Stores a new state of the group, `before` the stored one; `json` is `resource` as JSON, when it was serialised
   * already. The event has the changes between the two, and the members changed.
   */
  private async write(
    tx: SqlRunner,
    ctx: ScimRequestContext,
    id: string,
    before: ScimResource,
    resource: ScimResource,
    json: string | undefined,
    { displayName, externalId }: GroupColumns,
    members: MembersChangeSummary,
    status = 200,
  ): Promise<GroupRow> {
    const params = [
      ctx.caller.tenantId,
      ctx.caller.integrationId,
      id,
      displayName,
      externalId,
      json ?? resource,
      before,
      membersChanges(members),
      ...eventValues(ctx, status),
    ];
    const [row] = await tx.query<GroupRow>(UPDATE_GROUP, params);
    return { ...row, resource };
  }

  /**
   * Runs `work` in one transaction — or without one when it is a single statement (`transaction` false) — and
   * answers a displayName another group has with 409.
   */
  private async inTransaction<T>(
    name: string | (() => string | undefined),
    work: (db: SqlRunner) => Promise<T>,
    transaction = true,
  ) {
    try {
      return transaction ? await this.sql.transaction(work) : await work(this.sql);
    } catch (e) {
      if (isUniqueViolation(e, 'UQ_groups_integration_name')) {
        const taken = typeof name === 'function' ? name() : name;
        throw new ScimException(409, 'uniqueness', `displayName "${taken ?? ''}" is already taken`);
      }
      throw e;
    }
  }

  private async find(
    db: SqlRunner,
    caller: ScimCaller,
    id: string,
    lock: boolean,
  ): Promise<GroupRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await db.query<GroupRow>(
      `SELECT ${COLUMNS} FROM groups WHERE tenant_id = $1 AND integration_id = $2 AND id = $3${lock ? ' FOR UPDATE' : ''}`,
      [caller.tenantId, caller.integrationId, id],
    );
    return rows[0];
  }

  /** The members of some groups, in one query over the membership index. */
  private async members(caller: ScimCaller, groupIds: string[]): Promise<Map<string, MemberRow[]>> {
    const byGroup = new Map<string, MemberRow[]>();
    if (groupIds.length === 0) return byGroup;
    const rows = await this.sql.query<MemberRow>(
      `SELECT m.group_id, m.user_id, coalesce(u.display_name, u.user_name) AS display
         FROM group_members m JOIN scim_users u ON u.id = m.user_id AND u.tenant_id = m.tenant_id
        WHERE m.tenant_id = $1 AND m.group_id = ANY($2::uuid[])
        ORDER BY m.group_id, m.user_id`,
      [caller.tenantId, groupIds],
    );
    for (const r of rows) {
      const list = byGroup.get(r.group_id);
      if (list) list.push(r);
      else byGroup.set(r.group_id, [r]);
    }
    return byGroup;
  }

  private async result(
    caller: ScimCaller,
    row: GroupRow,
    projection: Projection,
  ): Promise<ScimResourceResult> {
    const location = `${this.baseUrl}/Groups/${row.id}`;
    if (projection.wantsWhole('members')) {
      const json = await this.membersJson(caller, row.id);
      const raw = json === null ? undefined : { name: 'members', json };
      return new ScimResourceResult(this.render(row, undefined, projection), row.version, location, raw);
    }
    const members = projection.wants('members')
      ? ((await this.members(caller, [row.id])).get(row.id) ?? [])
      : undefined;
    return new ScimResourceResult(this.render(row, members, projection), row.version, location);
  }

  /**
   * A group's whole member list as JSON text, rendered by PostgreSQL in the shape `render` gives it (same
   * order, same attributes), or null when it has none: a group of 50,000 members is sent without one object
   * per member ever existing here.
   */
  private async membersJson(caller: ScimCaller, groupId: string): Promise<string | null> {
    const [row] = await this.sql.query<{ members: string | null }>(
      `SELECT '[' || string_agg('{"value":"' || u.id || '","display":' || to_json(coalesce(u.display_name, u.user_name))::text
                                || ',"$ref":' || $3 || u.id || '","type":"User"}', ',' ORDER BY m.user_id) || ']' AS members
         FROM group_members m JOIN scim_users u ON u.id = m.user_id AND u.tenant_id = m.tenant_id
        WHERE m.tenant_id = $1 AND m.group_id = $2`,
      [caller.tenantId, groupId, this.userRefPrefix],
      true,
    );
    return row?.members ?? null;
  }

  private render(
    row: GroupRow,
    members: MemberRow[] | undefined,
    projection: Projection,
  ): Record<string, unknown> {
    const { schemas, ...rest } = row.resource;
    const full: Record<string, unknown> = { schemas, id: row.id, ...rest, displayName: row.name };
    if (members && members.length > 0) {
      full.members = members.map((m) => ({
        value: m.user_id,
        display: m.display,
        $ref: `${this.baseUrl}/Users/${m.user_id}`,
        type: 'User',
      }));
    }
    full.meta = {
      resourceType: 'Group',
      created: new Date(row.created_at).toISOString(),
      lastModified: new Date(row.updated_at).toISOString(),
      location: `${this.baseUrl}/Groups/${row.id}`,
      version: `W/"${row.version}"`,
    };
    return projection.apply(full);
  }
}

/**
 * Normalises a POST/PUT body with its `members` taken out first: they live in their own table, may number
 * tens of thousands (more than MAX_VALUES_PER_ATTRIBUTE allows any other attribute), and need no more than
 * their ids. More than MAX_MEMBERS_PER_REQUEST of them is a 400, before any is read.
 */
function normalizeGroup(
  body: unknown,
  mode: 'create' | 'replace',
): { resource: ScimResource; json: string; members?: string[] } {
  const key = isPlainObject(body) ? findKey(body, 'members') : undefined;
  if (!isPlainObject(body) || key === undefined) {
    const { resource } = normalizeResource(body, GROUP_RESOURCE, mode);
    return { resource, json: checkGroupSize(resource) };
  }
  const { [key]: members, ...rest } = body;
  // As for any multi-valued attribute: a single member is a list of one, and null means none.
  const list: unknown[] | undefined =
    members === null ? undefined : Array.isArray(members) ? (members as unknown[]) : [members];
  if (list && list.length > MAX_MEMBERS_PER_REQUEST) {
    throw limitExceeded(
      `The request has ${list.length} group members; the limit is ${MAX_MEMBERS_PER_REQUEST} members per request.`,
    );
  }
  const { resource } = normalizeResource(rest, GROUP_RESOURCE, mode);
  const json = checkGroupSize(resource);
  return list ? { resource, json, members: memberIdsOf(list) } : { resource, json };
}

/**
 * A group's own JSON within MAX_GROUP_RESOURCE_BYTES (and within the body limit, when that is smaller); returns
 * the JSON.
 */
function checkGroupSize(resource: ScimResource, bodyLimitBytes = Number.POSITIVE_INFINITY): string {
  if (bodyLimitBytes < MAX_GROUP_RESOURCE_BYTES) {
    return checkResourceSize('Group', resource, bodyLimitBytes);
  } else {
    return checkResourceSize(
      'Group',
      resource,
      MAX_GROUP_RESOURCE_BYTES,
      'MAX_GROUP_RESOURCE_BYTES (members aside)',
    );
  }
}

/** The ids of listed members: null elements are dropped, and a plain string is the member's value. */
function memberIdsOf(list: unknown[]): string[] {
  const values: string[] = [];
  for (const m of list) {
    if (m === null) continue;
    const value = isPlainObject(m) ? getIgnoringCase(m, 'value') : m;
    if (typeof value !== 'string' || value === '') {
      throw new ScimException(400, 'invalidValue', 'Every member needs a value: the id of a user');
    }
    values.push(value);
  }
  return values;
}

/** The indexed columns of a group, checked before they reach the database. */
function columnsOf(resource: ScimResource): GroupColumns {
  const displayName = resource.displayName;
  if (typeof displayName !== 'string' || displayName.trim() === '') {
    throw new ScimException(400, 'invalidValue', 'displayName is required');
  }
  checkIndexedText('displayName', displayName);
  const externalId = typeof resource.externalId === 'string' ? resource.externalId : null;
  if (externalId !== null) checkIndexedText('externalId', externalId);
  return { displayName, externalId };
}

const NO_MEMBERS_CHANGE: MembersChangeSummary = { added: 0, removed: 0, addedIds: [], removedIds: [] };

/** A group a write left as it was, for its `unchanged` event. */
function unchangedGroup(row: GroupRow): ScimUnchanged {
  return { resourceType: 'Group', resourceId: row.id, resourceName: row.name };
}

function unknownMembers(values: string[]): ScimException {
  const shown = values.slice(0, 5).join(', ') + (values.length > 5 ? `, … (${values.length} in all)` : '');
  return new ScimException(
    400,
    'invalidValue',
    `Unknown member ${shown}: members must be users of this integration (groups do not nest)`,
  );
}

function tooManyMembers(groupId: string): ScimException {
  return limitExceeded(
    `Group ${groupId} would have more than ${MAX_GROUP_MEMBERS} members; the limit is ${MAX_GROUP_MEMBERS} members per group.`,
  );
}

function notFound(id: string): ScimException {
  return resourceNotFound('Group', id);
}
