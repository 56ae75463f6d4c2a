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
import { ScimIntegrationEntity } from './scim-integration.entity';
import { TenantEntity } from './tenant.entity';

/**
 * The sync activity log: one row per SCIM write (written in the same transaction as the change it describes) and
 * per failed request, and an integration's first request when it only read. Never holds a token or a password.
 */
@Entity('scim_events')
@Index('IDX_scim_events_integration_time', ['tenantId', 'integrationId', 'createdAt', 'id'])
@Index('IDX_scim_events_failed', { synchronize: false })
@Index('IDX_scim_events_resource', ['tenantId', 'integrationId', 'resourceId', 'createdAt', 'id'])
@Index('IDX_scim_events_resource_name', { synchronize: false })
export class ScimEventEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;
  @Column({ name: 'integration_id', type: 'uuid' }) integrationId!: string;
  @ManyToOne(() => ScimIntegrationEntity, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'integration_id', referencedColumnName: 'id' },
  ])
  integration?: ScimIntegrationEntity;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ type: 'text' }) method!: string;
  @Column({ type: 'text' }) path!: string;
  @Column({ name: 'resource_type', type: 'text', nullable: true }) resourceType!: string | null;
  @Column({ name: 'resource_id', type: 'uuid', nullable: true }) resourceId!: string | null;
  @Column({ name: 'resource_name', type: 'text', nullable: true }) resourceName!: string | null;
  @Column({ type: 'smallint' }) status!: number;
  @Column({ name: 'scim_type', type: 'text', nullable: true }) scimType!: string | null;
  @Column({ type: 'text', nullable: true }) detail!: string | null;
  @Column({ name: 'duration_ms', type: 'integer' }) durationMs!: number;
  @Column({ name: 'request_id', type: 'text' }) requestId!: string;
  /** How many requests the event stands for: more than one only for a summary of refused requests. */
  @Column({ type: 'integer', default: 1 }) count!: number;
  /**
   * What the write changed: attribute path → `{ from?, to? }` (absent: the attribute was not set), `password` →
   * `{ changed: true }`, `members` → counts and ids. Null when none (creates, deletes, failures, `unchanged`, `read`).
   */
  @Column({ type: 'jsonb', nullable: true }) changes!: Record<string, unknown> | null;
  /**
   * `changed`, `unchanged` (a write that left the resource as it was), `failed`, or `read` (an integration's first
   * request, when it only read: later reads are not recorded).
   */
  @Column({ type: 'text', default: 'changed' }) outcome!: ScimEventOutcome;
}

export type ScimEventOutcome = 'changed' | 'unchanged' | 'failed' | 'read';
