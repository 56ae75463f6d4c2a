import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type AuditActor, type AuditEventInput, AuditService } from '@rollcall/audit';
import { ApiException, offsetOf, type Page, PageQuery } from '@rollcall/common';
import { TenantEntity } from '@rollcall/database';
import { TokensService } from '@rollcall/tokens';
import type { CreatedTenantDto, TenantDto, UpdateTenantDto } from './tenant.dto';

@Injectable()
export class TenantsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
  ) {}

  /** Creates a tenant and its first admin token in one transaction, with their audit events. */
  async create(name: string, actor: AuditActor): Promise<CreatedTenantDto> {
    return this.db.transaction(async (manager) => {
      const tenant = await manager.getRepository(TenantEntity).save({ name, enabled: true });
      await this.audit.record(manager, tenant.id, actor, [
        {
          action: 'tenant.created',
          targetId: tenant.id,
          targetName: name,
          changes: { name: { to: name }, enabled: { to: true } },
        },
      ]);
      const token = await this.tokens.issueAdminToken(tenant.id, { name: 'initial' }, actor, manager);
      return { ...toDto(tenant), adminToken: token.token };
    });
  }

  async list(q: PageQuery): Promise<Page<TenantDto>> {
    const [rows, total] = await this.db.getRepository(TenantEntity).findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: offsetOf(q),
      take: q.pageSize,
    });
    return { items: rows.map(toDto), total, page: q.page, pageSize: q.pageSize };
  }

  async get(id: string): Promise<TenantDto> {
    const tenant = await this.db.getRepository(TenantEntity).findOneBy({ id });
    if (!tenant) throw ApiException.notFound('Tenant');
    return toDto(tenant);
  }

  /** Renames, disables or enables a tenant, with an audit event for each of these that changes something. */
  async update(id: string, patch: UpdateTenantDto, actor: AuditActor): Promise<TenantDto> {
    const saved = await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(TenantEntity);
      const tenant = await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
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
      tenant.name = name;
      if (patch.enabled !== undefined) tenant.enabled = patch.enabled;
      const result = await repo.save(tenant);
      await this.audit.record(manager, id, actor, events);
      return result;
    });
    if (patch.enabled === false) this.tokens.invalidate();
    return toDto(saved);
  }
}

function toDto(t: TenantEntity): TenantDto {
  return { id: t.id, name: t.name, enabled: t.enabled, createdAt: t.createdAt, updatedAt: t.updatedAt };
}
