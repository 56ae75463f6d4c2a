import { HttpStatus, Injectable } from '@nestjs/common';
import { type AuditActor, AuditService } from '@rollcall/audit';
import { ApiErrorCode, ApiException, likeEscape, offsetOf, type Page } from '@rollcall/common';
import {
  isForeignKeyViolation,
  isUniqueViolation,
  SqlService,
  type SqlRunner,
  type SqlTransaction,
} from '@rollcall/database';
import type { DirectoryUserDto, GroupDto, GroupQuery, MemberQuery, UserQuery } from './group.dto';

/** SQLSTATE restrict_violation: deleting a row that an ON DELETE RESTRICT foreign key still references. */

interface GroupRow {
  id: string;
  name: string;
  integration_id: string | null;
  integration_name: string | null;
  member_count: string;
  created_at: Date;
  updated_at: Date;
}

const GROUP_COLUMNS = `g.id, g.name, g.integration_id, i.name AS integration_name, g.created_at, g.updated_at,
  (SELECT count(*) FROM group_members m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id) AS member_count`;

const USER_COLUMNS = `u.id, u.integration_id AS "integrationId", u.user_name AS "userName", u.display_name AS "displayName",
  u.external_id AS "externalId", u.active, u.created_at AS "createdAt", u.updated_at AS "updatedAt"`;

/** The tenant's groups and memberships: groups created by admins and groups pushed by identity providers. */
@Injectable()
export class GroupsService {
  constructor(
    private readonly sql: SqlService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Creates an admin-owned group, with its audit event, in transaction `tx` or a new one; a name taken
   * in the tenant (ignoring case) is a 409.
   */
  async create(tenantId: string, name: string, actor: AuditActor, tx?: SqlTransaction): Promise<GroupDto> {
    if (!tx) return this.sql.transaction((t) => this.create(tenantId, name, actor, t));
    let id: string;
    try {
      const rows: { id: string }[] = await tx.query(
        `INSERT INTO groups (tenant_id, name) VALUES ($1, $2) RETURNING id`,
        [tenantId, name],
      );
      id = rows[0].id;
    } catch (e) {
      if (isUniqueViolation(e)) throw ApiException.conflict(`A group named "${name}" already exists`);
      throw e;
    }
    await this.audit.record(tx, tenantId, actor, [
      { action: 'group.created', targetId: id, targetName: name, changes: { name: { to: name } } },
    ]);
    return this.get(tenantId, id, tx);
  }

  async list(tenantId: string, q: GroupQuery): Promise<Page<GroupDto>> {
    const params: unknown[] = [tenantId];
    let where = 'g.tenant_id = $1';
    if (q.q) {
      params.push(`%${likeEscape(q.q.toLowerCase())}%`);
      where += ` AND lower(g.name) LIKE $${params.length}`;
    }
    if (q.integrationId) {
      params.push(q.integrationId);
      where += ` AND g.integration_id = $${params.length}`;
    }
    const [{ total }]: { total: string }[] = await this.sql.query(
      `SELECT count(*) AS total FROM groups g WHERE ${where}`,
      params,
    );
    const rows: GroupRow[] = await this.sql.query(
      `SELECT ${GROUP_COLUMNS} FROM groups g LEFT JOIN scim_integrations i ON i.tenant_id = g.tenant_id AND i.id = g.integration_id
        WHERE ${where} ORDER BY lower(g.name), g.id LIMIT ${q.pageSize} OFFSET ${offsetOf(q)}`,
      params,
    );
    return { items: rows.map(toGroupDto), total: Number(total), page: q.page, pageSize: q.pageSize };
  }

  async get(tenantId: string, id: string, db: SqlRunner = this.sql): Promise<GroupDto> {
    const rows: GroupRow[] = await db.query(
      `SELECT ${GROUP_COLUMNS} FROM groups g LEFT JOIN scim_integrations i ON i.tenant_id = g.tenant_id AND i.id = g.integration_id
        WHERE g.tenant_id = $1 AND g.id = $2`,
      [tenantId, id],
    );
    if (!rows[0]) throw ApiException.notFound('Group');
    return toGroupDto(rows[0]);
  }

  /**
   * Renames an admin-owned group, with its audit event; renaming it to its own name changes nothing (no new
   * version, no audit event). A name taken in the tenant (ignoring case) is a 409.
   */
  async rename(tenantId: string, id: string, name: string, actor: AuditActor): Promise<GroupDto> {
    return this.sql.transaction(async (tx) => {
      const group = await this.lockAdminOwned(tenantId, id, tx);
      let rows: GroupRow[];
      try {
        rows = await tx.query(
          `UPDATE groups g SET name = $3,
                  version = CASE WHEN g.name IS DISTINCT FROM $3 THEN g.version + 1 ELSE g.version END,
                  updated_at = CASE WHEN g.name IS DISTINCT FROM $3 THEN now() ELSE g.updated_at END
            WHERE g.tenant_id = $1 AND g.id = $2
            RETURNING g.id, g.name, g.integration_id, NULL AS integration_name, g.created_at, g.updated_at,
              (SELECT count(*) FROM group_members m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id) AS member_count`,
          [tenantId, id, name],
        );
      } catch (e) {
        if (isUniqueViolation(e)) throw ApiException.conflict(`A group named "${name}" already exists`);
        throw e;
      }
      if (name !== group.name) {
        await this.audit.record(tx, tenantId, actor, [
          {
            action: 'group.renamed',
            targetId: id,
            targetName: name,
            changes: { name: { from: group.name, to: name } },
          },
        ]);
      }
      return toGroupDto(rows[0]);
    });
  }

  /** Deletes an admin-owned group, with its audit event; refused (409) while an integration targets it. */
  async delete(tenantId: string, id: string, actor: AuditActor): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const group = await this.lockAdminOwned(tenantId, id, tx);
      try {
        await tx.query(`DELETE FROM groups WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
      } catch (e) {
        if (isForeignKeyViolation(e)) {
          throw ApiException.conflict(
            'This group is the target group of a SCIM integration; change or delete the integration first',
          );
        }
        throw e;
      }
      await this.audit.record(tx, tenantId, actor, [
        {
          action: 'group.deleted',
          targetId: id,
          targetName: group.name,
          changes: { name: { from: group.name } },
        },
      ]);
    });
  }

  /**
   * The group's name, locked until the transaction ends (so its audit event's `from` stays true), without
   * counting its members; 404, or 409 for a group an integration owns.
   */
  private async lockAdminOwned(tenantId: string, id: string, tx: SqlTransaction): Promise<{ name: string }> {
    const rows: Pick<GroupRow, 'name' | 'integration_id' | 'integration_name'>[] = await tx.query(
      `SELECT g.name, g.integration_id, i.name AS integration_name
         FROM groups g LEFT JOIN scim_integrations i ON i.tenant_id = g.tenant_id AND i.id = g.integration_id
        WHERE g.tenant_id = $1 AND g.id = $2 FOR UPDATE OF g`,
      [tenantId, id],
    );
    if (!rows[0]) throw ApiException.notFound('Group');
    const { name, integration_id, integration_name } = rows[0];
    if (integration_id) {
      throw new ApiException(
        HttpStatus.CONFLICT,
        ApiErrorCode.Conflict,
        `This group is owned by the SCIM integration "${integration_name ?? ''}"; change it in the identity provider`,
      );
    }
    return { name };
  }

  /** A group that an integration may target: one of the tenant's admin-owned groups. */
  async assertTargetable(tenantId: string, id: string, db: SqlRunner = this.sql): Promise<GroupDto> {
    const rows: GroupRow[] = await db.query(
      `SELECT ${GROUP_COLUMNS} FROM groups g LEFT JOIN scim_integrations i ON i.tenant_id = g.tenant_id AND i.id = g.integration_id
        WHERE g.tenant_id = $1 AND g.id = $2 FOR SHARE OF g`,
      [tenantId, id],
    );
    if (!rows[0]) throw ApiException.notFound('Group');
    const group = toGroupDto(rows[0]);
    if (group.ownerIntegration) {
      throw ApiException.validation(
        'groupId',
        'groupId must name a group created in settings, not one pushed by an identity provider',
      );
    }
    return group;
  }

  async members(tenantId: string, groupId: string, q: MemberQuery): Promise<Page<DirectoryUserDto>> {
    await this.get(tenantId, groupId);
    return this.users(tenantId, { ...q, groupId });
  }

  /** Users provisioned into the tenant, optionally by one integration, in one group, active or not. */
  async users(tenantId: string, q: UserQuery): Promise<Page<DirectoryUserDto>> {
    const params: unknown[] = [tenantId];
    const where = ['u.tenant_id = $1'];
    if (q.integrationId) {
      params.push(q.integrationId);
      where.push(`u.integration_id = $${params.length}`);
    }
    if (q.groupId) {
      params.push(q.groupId);
      where.push(
        `EXISTS (SELECT 1 FROM group_members m WHERE m.tenant_id = u.tenant_id AND m.group_id = $${params.length} AND m.user_id = u.id)`,
      );
    }
    if (q.active !== undefined) {
      params.push(q.active);
      where.push(`u.active = $${params.length}`);
    }
    if (q.q) {
      params.push(`%${likeEscape(q.q.toLowerCase())}%`);
      where.push(
        `(lower(u.user_name) LIKE $${params.length} OR lower(u.display_name) LIKE $${params.length})`,
      );
    }
    const clause = where.join(' AND ');
    const [{ total }]: { total: string }[] = await this.sql.query(
      `SELECT count(*) AS total FROM scim_users u WHERE ${clause}`,
      params,
    );
    const items: DirectoryUserDto[] = await this.sql.query(
      `SELECT ${USER_COLUMNS} FROM scim_users u WHERE ${clause}
        ORDER BY u.created_at, u.id LIMIT ${q.pageSize} OFFSET ${offsetOf(q)}`,
      params,
    );
    return { items, total: Number(total), page: q.page, pageSize: q.pageSize };
  }
}

function toGroupDto(r: GroupRow): GroupDto {
  return {
    id: r.id,
    name: r.name,
    ownerIntegration: r.integration_id ? { id: r.integration_id, name: r.integration_name ?? '' } : null,
    memberCount: Number(r.member_count),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
