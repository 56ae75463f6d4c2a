import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { TenantEntity } from './tenant.entity';

/**
 * A one-time link into the admin portal (issue 11). Only the SHA-256 hash of its code is stored; opening it
 * sets `used_at`, once. Deleted a day after it was used or expired, once no session refers to it. Only
 * libs/tokens writes it.
 */
@Entity('portal_links')
@Index('UQ_portal_links_tenant_code', ['tenantId', 'codeHash'], { unique: true })
// The retention sweep's, on LEAST(used_at, expires_at) (written in migration 1796745600000-portal-retention).
@Index('IDX_portal_links_closed', { synchronize: false })
export class PortalLinkEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @PrimaryGeneratedColumn('uuid') id!: string;
  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;
  @Column({ name: 'code_hash', type: 'bytea' }) codeHash!: Buffer;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  /** When the link was exchanged for a session; null while it can still be opened. */
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt!: Date | null;
  /** Who made the link: 'admin' or 'operator'. */
  @Column({ name: 'created_by_kind', type: 'text' }) createdByKind!: string;
  /** The admin token that made it; null for the operator. */
  @Column({ name: 'created_by_token_id', type: 'uuid', nullable: true }) createdByTokenId!: string | null;
}
