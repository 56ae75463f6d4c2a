import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { TenantEntity } from './tenant.entity';

/**
 * The tenant audit log: one row per change made through the settings API (by an admin or the operator),
 * written in the same transaction as the change. Only libs/audit writes it. It never holds a token, a
 * token's hash or any other secret: `actor_hint` and hints in `changes` are the stored, displayable hints.
 * Its rows outlive their targets (no foreign key to them): a deleted integration's history stays readable.
 */
@Entity('audit_events')
@Index('IDX_audit_events_time', ['tenantId', 'createdAt', 'id'])
@Index('IDX_audit_events_target', ['tenantId', 'targetId', 'createdAt', 'id'])
export class AuditEventEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id!: string;
  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** 'admin', 'operator' or 'portal'. */
  @Column({ name: 'actor_kind', type: 'text' }) actorKind!: string;
  /** The admin token that made the change; null for the operator. */
  @Column({ name: 'actor_token_id', type: 'uuid', nullable: true }) actorTokenId!: string | null;
  /** That token's stored hint (`rc_adm_…x9Qa`), or the portal session's (`rc_ps_…x9Qa`); null for the operator. */
  @Column({ name: 'actor_hint', type: 'text', nullable: true }) actorHint!: string | null;
  /** The portal session that made the change; null for an admin token or the operator. */
  @Column({ name: 'actor_session_id', type: 'uuid', nullable: true }) actorSessionId!: string | null;
  /** `<target type>.<what happened>`, e.g. `integration.disabled`. */
  @Column({ type: 'text' }) action!: string;
  @Column({ name: 'target_type', type: 'text' }) targetType!: string;
  @Column({ name: 'target_id', type: 'uuid' }) targetId!: string;
  /** The target's name when the event was written. */
  @Column({ name: 'target_name', type: 'text', nullable: true }) targetName!: string | null;
  /** The fields the change set: `{ field: { from?, to? } }`, never a secret. */
  @Column({ type: 'jsonb', default: () => "'{}'" }) changes!: Record<string, unknown>;
  @Column({ name: 'request_id', type: 'text' }) requestId!: string;
}
