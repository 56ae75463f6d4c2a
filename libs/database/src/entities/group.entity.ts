import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { ScimIntegrationEntity } from './scim-integration.entity';
import { TenantEntity } from './tenant.entity';

/**
 * A group of the tenant: created by an admin (integration_id null) or pushed by an identity provider
 * over SCIM (integration_id = the owning integration). Names are unique, ignoring case, among the
 * tenant's admin groups and within each integration (partial unique indexes, see the migration).
 */
@Entity('groups')
@Index('UQ_groups_admin_name', { synchronize: false })
@Index('UQ_groups_integration_name', { synchronize: false })
@Index('IDX_groups_integration_external_id', ['tenantId', 'integrationId', 'externalId'])
@Index('IDX_groups_integration_created', ['tenantId', 'integrationId', 'createdAt', 'id'])
export class GroupEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @PrimaryGeneratedColumn('uuid') id!: string;
  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;
  @Column({ name: 'integration_id', type: 'uuid', nullable: true }) integrationId!: string | null;
  @ManyToOne('ScimIntegrationEntity', { onDelete: 'CASCADE', nullable: true })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'integration_id', referencedColumnName: 'id' },
  ])
  integration?: ScimIntegrationEntity;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'external_id', type: 'text', nullable: true }) externalId!: string | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) resource!: Record<string, unknown>;
  @Column({ type: 'integer', default: 1 }) version!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
