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
import { ScimIntegrationEntity } from './scim-integration.entity';
import { TenantEntity } from './tenant.entity';

/**
 * A user provisioned by an integration. `resource` keeps the SCIM resource whole (JSONB); the columns
 * beside it are what is filtered, sorted and unique. userName is unique per integration ignoring case
 * (expression index, see the migration).
 */
@Entity('scim_users')
@Index('UQ_scim_users_user_name', { synchronize: false })
@Index('IDX_scim_users_external_id', ['tenantId', 'integrationId', 'externalId'])
@Index('IDX_scim_users_created', ['tenantId', 'integrationId', 'createdAt', 'id'])
export class ScimUserEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @PrimaryGeneratedColumn('uuid') id!: string;
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
  @Column({ name: 'user_name', type: 'text' }) userName!: string;
  @Column({ name: 'external_id', type: 'text', nullable: true }) externalId!: string | null;
  @Column({ name: 'display_name', type: 'text', nullable: true }) displayName!: string | null;
  @Column({ type: 'boolean', default: true }) active!: boolean;
  @Column({ type: 'jsonb' }) resource!: Record<string, unknown>;
  /** `octet_length(resource::text)`, set by every write of `resource`: what a /Users page budget adds up. */
  @Column({ name: 'resource_bytes', type: 'integer', default: 0 }) resourceBytes!: number;
  @Column({ name: 'password_hash', type: 'text', nullable: true }) passwordHash!: string | null;
  @Column({ type: 'integer', default: 1 }) version!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
