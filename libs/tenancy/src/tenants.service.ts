import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiException, offsetOf, type Page, PageQuery } from '@rollcall/common';
import { TenantEntity } from '@rollcall/database';
import { TokensService } from '@rollcall/tokens';
import type { CreatedTenantDto, TenantDto, UpdateTenantDto } from './tenant.dto';

@Injectable()
export class TenantsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tokens: TokensService,
  ) {}

  /** Creates a tenant and its first admin token in one transaction. */
  async create(name: string): Promise<CreatedTenantDto> {
    return this.db.transaction(async (manager) => {
      const tenant = await manager.getRepository(TenantEntity).save({ name, enabled: true });
      const token = await this.tokens.issueAdminToken(tenant.id, { name: 'initial' }, manager);
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

  async update(id: string, patch: UpdateTenantDto): Promise<TenantDto> {
    const repo = this.db.getRepository(TenantEntity);
    const tenant = await repo.findOneBy({ id });
    if (!tenant) throw ApiException.notFound('Tenant');
    if (patch.name !== undefined) tenant.name = patch.name;
    if (patch.enabled !== undefined) tenant.enabled = patch.enabled;
    const saved = await repo.save(tenant);
    if (patch.enabled === false) this.tokens.invalidate();
    return toDto(saved);
  }
}

function toDto(t: TenantEntity): TenantDto {
  return { id: t.id, name: t.name, enabled: t.enabled, createdAt: t.createdAt, updatedAt: t.updatedAt };
}
