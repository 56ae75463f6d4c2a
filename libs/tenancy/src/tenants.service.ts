import { Injectable } from '@nestjs/common';
import { type AuditActor, type AuditEventInput, AuditService } from '@rollcall/audit';
import { ApiException, offsetOf, type Page, PageQuery } from '@rollcall/common';
import { SqlService } from '@rollcall/database';
import { TokensService } from '@rollcall/tokens';
import type { CreatedTenantDto, TenantDto, UpdateTenantDto } from './tenant.dto';

@Injectable()
export class TenantsService {
  constructor(
    private readonly sql: SqlService,
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
  ) {}

  /** Creates a tenant and its first admin token in one transaction, with their audit events. */
  async create(name: string, actor: AuditActor): Promise<CreatedTenantDto> {
    return this.sql.transaction(async (tx) => {
      const [tenant] = await tx.query<TenantRow>(
        `INSERT INTO tenants (name) VALUES ($1) RETURNING ${COLUMNS}`,
        [name],
      );
      await this.audit.record(tx, tenant.id, actor, [
        {
          action: 'tenant.created',
          targetId: tenant.id,
          targetName: name,
          changes: { name: { to: name }, enabled: { to: true } },
        },
      ]);
      const token = await this.tokens.issueAdminToken(tenant.id, { name: 'initial' }, actor, tx);
      return { ...toDto(tenant), adminToken: token.token };
    });
  }

  async list(q: PageQuery): Promise<Page<TenantDto>> {
    // The one statement that reads every tenant: the operator's list (tenants is not tenant-owned).
    const rows = await this.sql.query<TenantRow & { total: string }>(
      `SELECT ${COLUMNS}, count(*) OVER () AS total FROM tenants ORDER BY created_at, id LIMIT $1 OFFSET $2`,
      [q.pageSize, offsetOf(q)],
    );
    const total = rows[0]
      ? Number(rows[0].total)
      : Number((await this.sql.query<{ n: string }>(`SELECT count(*) AS n FROM tenants`))[0].n);
    return { items: rows.map(toDto), total, page: q.page, pageSize: q.pageSize };
  }

  async get(id: string): Promise<TenantDto> {
    const [tenant] = await this.sql.query<TenantRow>(`SELECT ${COLUMNS} FROM tenants WHERE id = $1`, [id]);
    if (!tenant) throw ApiException.notFound('Tenant');
    return toDto(tenant);
  }

  /** Renames, disables or enables a tenant, with an audit event for each of these that changes something. */
  async update(id: string, patch: UpdateTenantDto, actor: AuditActor): Promise<TenantDto> {
    const saved = await this.sql.transaction(async (tx) => {
      const [tenant] = await tx.query<TenantRow>(`SELECT ${COLUMNS} FROM tenants WHERE id = $1 FOR UPDATE`, [
        id,
      ]);
      if (!tenant) throw ApiException.notFound('Tenant');
      const name = patch.name ?? tenant.name;
      const events: AuditEventInput[] = [];
      if (name !== tenant.name) {
        events.push({
          action: 'tenant.renamed',
          targetId: id,
          targetName: name,
          changes: { name: { from: tenant.name, to: name } },
        });
      }
      if (patch.enabled !== undefined && patch.enabled !== tenant.enabled) {
        events.push({
          action: patch.enabled ? 'tenant.enabled' : 'tenant.disabled',
          targetId: id,
          targetName: name,
          changes: { enabled: { from: tenant.enabled, to: patch.enabled } },
        });
      }
      const [result] = await tx.query<TenantRow>(
        `UPDATE tenants SET name = $2, enabled = $3,
                updated_at = CASE WHEN (name, enabled) IS DISTINCT FROM ($2, $3) THEN now() ELSE updated_at END
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, name, patch.enabled ?? tenant.enabled],
      );
      await this.audit.record(tx, id, actor, events);
      return result;
    });
    if (patch.enabled === false) this.tokens.invalidate();
    return toDto(saved);
  }
}

interface TenantRow {
  id: string;
  name: string;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, enabled, created_at, updated_at';

function toDto(t: TenantRow): TenantDto {
  return { id: t.id, name: t.name, enabled: t.enabled, createdAt: t.created_at, updatedAt: t.updated_at };
}
