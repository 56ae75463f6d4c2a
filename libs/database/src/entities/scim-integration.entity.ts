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
import { GroupEntity } from './group.entity';
import { TenantEntity } from './tenant.entity';

export const SCIM_PROVIDERS = ['okta', 'entra', 'onelogin', 'jumpcloud', 'google', 'generic'] as const;
export type ScimProvider = (typeof SCIM_PROVIDERS)[number];

/** One SCIM integration: an identity provider's connection, and its own SCIM directory. */
@Entity('scim_integrations')
@Index('IDX_scim_integrations_tenant', ['tenantId', 'createdAt'])
export class ScimIntegrationEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @PrimaryGeneratedColumn('uuid') id!: string;
  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) provider!: ScimProvider;
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @Column({ name: 'group_id', type: 'uuid' }) groupId!: string;
  @ManyToOne(() => GroupEntity, { onDelete: 'RESTRICT' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'group_id', referencedColumnName: 'id' },
  ])
  group?: GroupEntity;
  @Column({ name: 'last_request_at', type: 'timestamptz', nullable: true }) lastRequestAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
