import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@rollcall/common';
import { isUniqueViolation, SqlService, StatisticsService, type SqlRunner } from '@rollcall/database';
import type { ScimCaller } from '@rollcall/tokens';
import { isUuid, USER_FILTER_TARGET } from '../filter';
import { applyPatch, parsePatchBody } from '../patch';
import { parseProjection, type Projection, type ProjectionOptions } from '../projection';
import { checkResourceSize, normalizeResource, type ScimResource } from '../resource';
import { USER_RESOURCE } from '../schema';
import { ScimException } from '../scim.exception';
import { ScimResourceResult } from '../scim-http';
import { ScimPage, type ScimListQuery } from '../scim-list';
import {
  checkVersion,
  directoryQuery,
  exactTotal,
  preconditionFailed,
  qualified,
  resourceNotFound,
} from '../scim-query';
import { checkIndexedText, USER_PAGE_BYTES } from '../scim-limits';
import { hashPassword } from '../scim-password';
import { ScimEventsService, type ScimRequestContext } from '../events/scim-events.service';

interface UserRow {
  id: string;
  user_name: string;
  active: boolean;
  resource: ScimResource;
  version: number;
  created_at: Date;
  updated_at: Date;
  groups?: { value: string; display: string }[] | null;
}

/** The indexed columns derived from a resource. */
interface UserColumns {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  active: boolean;
}

const RETURNING = 'id, user_name, active, resource, version, created_at, updated_at';

/** A row of a list page: how many ids the page had before USER_PAGE_BYTES cut it (a bigint, as text). */
interface PageRow extends UserRow {
  page_size: string;
}

/** The user's groups: the integration's own (pushed) groups it is a member of, from one indexed query. */
const GROUPS_OF = `(SELECT coalesce(json_agg(json_build_object('value', g.id, 'display', g.name) ORDER BY g.name, g.id), '[]'::json)
    FROM group_members m JOIN groups g ON g.id = m.group_id AND g.tenant_id = m.tenant_id
   WHERE m.tenant_id = u.tenant_id AND m.user_id = u.id AND g.integration_id = u.integration_id) AS groups`;

const UPDATE_ATTEMPTS = 5;

/** A user's next state, computed from its current one by a PUT or a PATCH. */
interface UserChange {
  resource: ScimResource;
  /** The cleartext password the request sets; it depends on the request only, never on the current state. */
  password?: string;
  changed: boolean;
}

/** SCIM /Users of one integration's directory. Every query is scoped by tenant and integration. */
@Injectable()
export class ScimUsersService {
  private readonly baseUrl: string;
  private readonly maxResourceBytes: number;
  readonly maxResultsLimit: number;

  constructor(
    private readonly sql: SqlService,
    private readonly events: ScimEventsService,
    private readonly statistics: StatisticsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.baseUrl = `${config.publicUrl}/scim/v2`;
    this.maxResourceBytes = config.bodyLimitBytes;
    this.maxResultsLimit = config.scimMaxResults;
  }

  async create(
    ctx: ScimRequestContext,
    body: unknown,
    options: ProjectionOptions,
  ): Promise<ScimResourceResult> {
    const { caller } = ctx;
    const projection = parseProjection(options, USER_RESOURCE);
    const { resource, password } = normalizeResource(body, USER_RESOURCE, 'create');
    const columns = columnsOf(resource);
    const passwordHash = password === undefined ? null : await hashPassword(password);
    const params = [
      caller.tenantId,
      caller.integrationId,
      columns.userName,
      columns.externalId,
      columns.displayName,
      columns.active,
      resource,
      passwordHash,
      caller.groupId,
    ];
    let rows: UserRow[];
    try {
      // One statement: the user, its membership of the integration's target group, and the activity event.
      rows = await this.sql.query<UserRow>(
        this.events.wrap(
          `WITH u AS (
             INSERT INTO scim_users (tenant_id, integration_id, user_name, external_id, display_name, active, resource, password_hash, resource_bytes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, octet_length($7::jsonb::text)) RETURNING ${RETURNING}),
           gm AS (INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, $9, id FROM u ON CONFLICT DO NOTHING)`,
          'u',
          params,
          ctx,
          { resourceType: 'User', name: columns.userName, status: 201 },
        ),
        params,
        true,
      );
    } catch (e) {
      if (isUniqueViolation(e, 'UQ_scim_users_user_name')) {
        throw new ScimException(409, 'uniqueness', `userName "${columns.userName}" is already taken`);
      }
      throw e;
    }
    this.statistics.noteWrites('scim_users', 1);
    this.statistics.noteWrites('group_members', 1);
    return this.result({ ...rows[0], groups: [] }, projection);
  }

  async get(caller: ScimCaller, id: string, options: ProjectionOptions): Promise<ScimResourceResult> {
    const projection = parseProjection(options, USER_RESOURCE);
    const row = await this.find(caller, id, projection.wants('groups'));
    if (!row) throw notFound(id);
    return this.result(row, projection);
  }

  async list(caller: ScimCaller, q: ScimListQuery): Promise<ScimPage> {
    const projection = parseProjection(q, USER_RESOURCE);
    const { where, params, order, offset } = directoryQuery(caller, q, USER_FILTER_TARGET);
    let rows: PageRow[] = [];
    if (q.count > 0) {
      const groups = projection.wants('groups') ? `, ${GROUPS_OF}` : '';
      // The page is chosen on ids alone (an index-only scan when unfiltered), then its rows are read: skipped
      // rows never cost a heap read or a groups look-up, whatever the startIndex. Between the two, the page is
      // cut at USER_PAGE_BYTES of stored JSON (a running sum of resource_bytes, read without the resource), so
      // the rows past the budget never leave the database; the first row always stays. `page_size` is how many
      // ids the page had before the cut, which is what tells whether more follow.
      rows = await this.sql.query<PageRow>(
        `SELECT ${qualified(RETURNING, 'u')}${groups}, b.page_size
           FROM (SELECT p.id, p.ord, p.page_size,
                        sum(s.resource_bytes) OVER (ORDER BY p.ord ROWS UNBOUNDED PRECEDING) AS page_bytes
                   FROM (SELECT page.id, row_number() OVER () AS ord, count(*) OVER () AS page_size
                           FROM (SELECT u.id FROM scim_users u WHERE ${where}
                                  ${order} LIMIT ${q.count} OFFSET ${offset}) page) p
                   JOIN scim_users s ON s.id = p.id AND s.tenant_id = $1) b
           JOIN scim_users u ON u.id = b.id AND u.tenant_id = $1
          WHERE b.ord = 1 OR b.page_bytes <= ${USER_PAGE_BYTES}
          ORDER BY b.ord`,
        params,
      );
    }
    // Cut short by the budget or not, the page's rows before the cut say whether the directory ends here.
    const pageSize = rows.length > 0 ? Number(rows[0].page_size) : 0;
    const total = await exactTotal(pageSize, q, () =>
      this.sql.query<{ n: string }>(`SELECT count(*) AS n FROM scim_users u WHERE ${where}`, params),
    );
    return new ScimPage(
      rows.map((r) => this.render(r, projection)),
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
    const projection = parseProjection(options, USER_RESOURCE);
    const { resource, password } = normalizeResource(body, USER_RESOURCE, 'replace');
    return this.update(ctx, id, ifMatch, projection, (current) => ({
      // PUT replaces the resource; `active` left out keeps its value rather than reactivating a deactivated user.
      resource: resource.active === undefined ? { ...resource, active: current.active } : resource,
      password,
      changed: true,
    }));
  }

  async patch(
    ctx: ScimRequestContext,
    id: string,
    body: unknown,
    ifMatch: number | undefined,
    options: ProjectionOptions,
  ): Promise<ScimResourceResult> {
    const projection = parseProjection(options, USER_RESOURCE);
    const operations = parsePatchBody(body);
    return this.update(ctx, id, ifMatch, projection, (current) => {
      const patched = applyPatch(current.resource, operations, USER_RESOURCE, { resourceId: id });
      if (patched.changed) checkResourceSize('User', patched.resource, this.maxResourceBytes);
      return { ...patched, changed: patched.changed || patched.password !== undefined };
    });
  }

  /**
   * Reads the user, computes its new state and writes it if nobody changed it in between; otherwise computes
   * again. With If-Match a lost race is a 412. Without it the client asked for no precondition, so after a
   * few lost races the last attempt reads and writes under a row lock rather than answer 412.
   * A password is hashed once, by the first attempt, outside any transaction: scrypt takes tens of
   * milliseconds, which no retry should repeat and no row lock should wait for.
   */
  private async update(
    ctx: ScimRequestContext,
    id: string,
    ifMatch: number | undefined,
    projection: Projection,
    change: (current: UserRow) => UserChange,
  ): Promise<ScimResourceResult> {
    const { caller } = ctx;
    if (!isUuid(id)) throw notFound(id);
    let passwordHash: string | null | undefined;
    for (let attempt = 1; ; attempt++) {
      const current = await this.find(caller, id, false);
      if (!current) throw notFound(id);
      checkVersion(ifMatch, current.version);
      const next = change(current);
      if (!next.changed) return this.result(await this.withGroups(caller, current, projection), projection);
      const columns = columnsOf(next.resource);
      passwordHash ??= next.password === undefined ? null : await hashPassword(next.password);
      if (attempt === UPDATE_ATTEMPTS && ifMatch === undefined) {
        return this.updateLocked(ctx, id, projection, change, passwordHash);
      }
      try {
        const written = await this.write(ctx, current, next.resource, columns, passwordHash, 200);
        return this.result(written, projection);
      } catch (e) {
        if (!(e instanceof VersionConflict)) throw e;
        if (ifMatch !== undefined) throw preconditionFailed();
      }
    }
  }

  /**
   * The last attempt of `update`: read, change and write in one transaction no other writer can interleave.
   * `passwordHash` was computed before, from the same request.
   */
  private async updateLocked(
    ctx: ScimRequestContext,
    id: string,
    projection: Projection,
    change: (current: UserRow) => UserChange,
    passwordHash: string | null,
  ): Promise<ScimResourceResult> {
    const { caller } = ctx;
    const { row, changed } = await this.sql.transaction(async (tx) => {
      const [current] = await tx.query<UserRow>(
        `SELECT ${qualified(RETURNING, 'u')} FROM scim_users u
          WHERE u.tenant_id = $1 AND u.integration_id = $2 AND u.id = $3 FOR UPDATE`,
        [caller.tenantId, caller.integrationId, id],
      );
      if (!current) throw notFound(id);
      const next = change(current);
      if (!next.changed) return { row: current, changed: false };
      const written = await this.write(
        ctx,
        current,
        next.resource,
        columnsOf(next.resource),
        passwordHash,
        200,
        tx,
      );
      return { row: written, changed: true };
    });
    return this.result(changed ? row : await this.withGroups(caller, row, projection), projection);
  }

  async delete(ctx: ScimRequestContext, id: string, ifMatch: number | undefined): Promise<void> {
    const { caller } = ctx;
    if (!isUuid(id)) throw notFound(id);
    const params = [caller.tenantId, caller.integrationId, id, ifMatch ?? null];
    const rows = await this.sql.query<{ id: string; user_name: string }>(
      this.events.wrap(
        `WITH u AS (DELETE FROM scim_users WHERE tenant_id = $1 AND integration_id = $2 AND id = $3
                      AND ($4::int IS NULL OR version = $4) RETURNING id, user_name)`,
        'u',
        params,
        ctx,
        { resourceType: 'User', nameColumn: 'user_name', status: 204 },
      ),
      params,
      true,
    );
    if (rows.length === 0) {
      if (ifMatch !== undefined && (await this.find(caller, id, false))) throw preconditionFailed();
      throw notFound(id);
    }
  }

  /**
   * Stores a new state of the user, if nobody changed it since `current` was read. A null `passwordHash` keeps
   * the stored one.
   */
  private async write(
    ctx: ScimRequestContext,
    current: UserRow,
    resource: ScimResource,
    columns: UserColumns,
    passwordHash: string | null,
    status: number,
    tx?: SqlRunner,
  ): Promise<UserRow> {
    const { caller } = ctx;
    const params = [
      caller.tenantId,
      caller.integrationId,
      current.id,
      current.version,
      columns.userName,
      columns.externalId,
      columns.displayName,
      columns.active,
      resource,
      passwordHash,
    ];
    // The event's parameters are appended to `params` by wrap(), before the statement runs.
    const statement = this.events.wrap(
      `WITH u AS (
         UPDATE scim_users u
            SET user_name = $5, external_id = $6, display_name = $7, active = $8, resource = $9,
                resource_bytes = octet_length($9::jsonb::text), password_hash = COALESCE($10, password_hash), version = version + 1, updated_at = now()
          WHERE tenant_id = $1 AND integration_id = $2 AND id = $3 AND version = $4
          RETURNING ${RETURNING}, ${GROUPS_OF})`,
      'u',
      params,
      ctx,
      { resourceType: 'User', name: columns.userName, status },
    );
    let rows: UserRow[];
    try {
      rows = tx
        ? await tx.query<UserRow>(statement, params)
        : await this.sql.query<UserRow>(statement, params, true);
    } catch (e) {
      if (isUniqueViolation(e, 'UQ_scim_users_user_name')) {
        throw new ScimException(409, 'uniqueness', `userName "${columns.userName}" is already taken`);
      }
      throw e;
    }
    if (rows.length === 0) throw new VersionConflict();
    return rows[0];
  }

  private async find(caller: ScimCaller, id: string, withGroups: boolean): Promise<UserRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.sql.query<UserRow>(
      `SELECT ${qualified(RETURNING, 'u')}${withGroups ? `, ${GROUPS_OF}` : ''}
         FROM scim_users u WHERE u.tenant_id = $1 AND u.integration_id = $2 AND u.id = $3`,
      [caller.tenantId, caller.integrationId, id],
      true,
    );
    return rows[0];
  }

  private async withGroups(caller: ScimCaller, row: UserRow, projection: Projection): Promise<UserRow> {
    if (!projection.wants('groups')) return row;
    return (await this.find(caller, row.id, true)) ?? row;
  }

  private result(row: UserRow, projection: Projection): ScimResourceResult {
    const location = `${this.baseUrl}/Users/${row.id}`;
    return new ScimResourceResult(this.render(row, projection), row.version, location);
  }

  /** The SCIM representation of a stored user, projected. */
  private render(row: UserRow, projection: Projection): Record<string, unknown> {
    const { schemas, ...rest } = row.resource;
    const full: Record<string, unknown> = { schemas, id: row.id, ...rest };
    if (row.groups && row.groups.length > 0) {
      full.groups = row.groups.map((g) => ({
        value: g.value,
        display: g.display,
        $ref: `${this.baseUrl}/Groups/${g.value}`,
        type: 'direct',
      }));
    }
    full.meta = {
      resourceType: 'User',
      created: toIso(row.created_at),
      lastModified: toIso(row.updated_at),
      location: `${this.baseUrl}/Users/${row.id}`,
      version: `W/"${row.version}"`,
    };
    return projection.apply(full);
  }
}

class VersionConflict extends Error {}

function toIso(d: Date | string): string {
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

function columnsOf(resource: ScimResource): UserColumns {
  const userName = resource.userName;
  if (typeof userName !== 'string' || userName.trim() === '') {
    throw new ScimException(400, 'invalidValue', 'userName is required');
  }
  checkIndexedText('userName', userName);
  const active = resource.active === undefined ? true : resource.active;
  if (typeof active !== 'boolean') throw new ScimException(400, 'invalidValue', 'active must be a boolean');
  resource.active = active;
  const externalId = typeof resource.externalId === 'string' ? resource.externalId : null;
  if (externalId !== null) checkIndexedText('externalId', externalId);
  const displayName = typeof resource.displayName === 'string' ? resource.displayName : null;
  return { userName, externalId, displayName, active };
}

function notFound(id: string): ScimException {
  return resourceNotFound('User', id);
}
