import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { ScimIntegrationEntity } from './scim-integration.entity';
import { TenantEntity } from './tenant.entity';

export type TokenKind = 'admin' | 'scim';

/** An admin or SCIM token. Only its SHA-256 hash is stored. */
@Entity('api_tokens')
@Index('IDX_api_tokens_tenant_kind', ['tenantId', 'kind', 'createdAt'])
@Index('IDX_api_tokens_integration', ['integrationId'])
export class ApiTokenEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;
  @Column({ type: 'text' }) kind!: TokenKind;
  @Column({ name: 'integration_id', type: 'uuid', nullable: true }) integrationId!: string | null;
  @ManyToOne(() => ScimIntegrationEntity, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'integration_id' })
  integration?: ScimIntegrationEntity;
  @Column({ type: 'text', nullable: true }) name!: string | null;
  @Index('UQ_api_tokens_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash!: Buffer;
  @Column({ type: 'text' }) hint!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true }) lastUsedAt!: Date | null;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
}
