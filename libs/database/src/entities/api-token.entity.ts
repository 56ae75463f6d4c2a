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

export type TokenKind = 'admin' | 'scim';

/** An admin or SCIM token. Only its SHA-256 hash is stored. */
@Entity('api_tokens')
@Index('IDX_api_tokens_tenant_kind', ['tenantId', 'kind', 'createdAt'])
@Index('IDX_api_tokens_integration', ['tenantId', 'integrationId'])
@Index('UQ_api_tokens_tenant_hash', ['tenantId', 'tokenHash'], { unique: true })
export class ApiTokenEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @PrimaryGeneratedColumn('uuid') id!: string;
  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;
  @Column({ type: 'text' }) kind!: TokenKind;
  @Column({ name: 'integration_id', type: 'uuid', nullable: true }) integrationId!: string | null;
  @ManyToOne(() => ScimIntegrationEntity, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'integration_id', referencedColumnName: 'id' },
  ])
  integration?: ScimIntegrationEntity;
  @Column({ type: 'text', nullable: true }) name!: string | null;
  @Index('IDX_api_tokens_hash')
  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash!: Buffer;
  @Column({ type: 'text' }) hint!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true }) lastUsedAt!: Date | null;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
}
