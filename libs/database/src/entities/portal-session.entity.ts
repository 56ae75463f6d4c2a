import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { PortalLinkEntity } from './portal-link.entity';
import { TenantEntity } from './tenant.entity';

/**
 * An admin-portal session, made by opening a portal link: the `rollcall_portal` cookie holds its secret, of
 * which only the SHA-256 hash is stored. It ends when revoked or after the idle time without a request. Its
 * CSRF token is derived from the secret, so it is not stored either. Deleted a day after it ended. Only
 * libs/tokens writes it.
 */
@Entity('portal_sessions')
@Index('UQ_portal_sessions_tenant_secret', ['tenantId', 'secretHash'], { unique: true })
@Index('IDX_portal_sessions_link', ['tenantId', 'linkId'])
// The retention sweep's (partial indexes, written in migration 1796745600000-portal-retention).
@Index('IDX_portal_sessions_revoked', { synchronize: false })
@Index('IDX_portal_sessions_idle', { synchronize: false })
export class PortalSessionEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @PrimaryGeneratedColumn('uuid') id!: string;
  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;
  /** The link that was opened to make it. */
  @Column({ name: 'link_id', type: 'uuid' }) linkId!: string;
  @ManyToOne(() => PortalLinkEntity, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'link_id', referencedColumnName: 'id' },
  ])
  link?: PortalLinkEntity;
  @Column({ name: 'secret_hash', type: 'bytea' }) secretHash!: Buffer;
  /** What lists show: the prefix and the secret's last four characters (`rc_ps_…x9Qa`). */
  @Column({ type: 'text' }) hint!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** The time of its last request; the session ends PORTAL_SESSION_IDLE_SECONDS after it. */
  @Column({ name: 'last_seen_at', type: 'timestamptz' }) lastSeenAt!: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
}
