import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CursorQuery, UuidField } from '@rollcall/common';
import { IsIn, IsOptional } from 'class-validator';
import { AUDIT_ACTIONS, type AuditAction, type AuditChanges, type AuditTargetType } from './audit-event';

const TARGET_TYPES: AuditTargetType[] = [
  'tenant',
  'admin_token',
  'group',
  'integration',
  'portal_link',
  'portal_session',
];

export class AuditLogQuery extends CursorQuery {
  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, description: 'Only events of this action' })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS, { message: `action must be one of ${AUDIT_ACTIONS.join(', ')}` })
  action?: AuditAction;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Only events about this tenant, admin token, group, integration, portal link or portal session',
  })
  @IsOptional()
  @UuidField()
  targetId?: string;
}

export class AuditActorDto {
  @ApiProperty({
    enum: ['admin', 'operator', 'portal'],
    description: 'An admin token, the operator, or an admin-portal session',
  })
  kind!: 'admin' | 'operator' | 'portal';
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    description: 'The admin token; null for the operator and the portal',
  })
  tokenId!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'rc_adm_…x9Qa',
    description: "The admin token's hint, or the portal session's (`rc_ps_…x9Qa`); null for the operator",
  })
  tokenHint!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    description:
      'The portal session (see GET /api/v1/portal-sessions); null for an admin token and the operator',
  })
  sessionId!: string | null;
}

export class AuditTargetDto {
  @ApiProperty({ enum: TARGET_TYPES }) type!: AuditTargetType;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      "The target's name after the change (a deleted target's last name); for an admin token, its hint",
  })
  name!: string | null;
}

export class AuditEventDto {
  @ApiProperty({ example: '1042' }) id!: string;
  @ApiProperty() time!: Date;
  @ApiProperty({ type: AuditActorDto }) actor!: AuditActorDto;
  @ApiProperty({ enum: AUDIT_ACTIONS, example: 'integration.disabled' }) action!: AuditAction;
  @ApiProperty({ type: AuditTargetDto }) target!: AuditTargetDto;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', properties: { from: {}, to: {} } },
    example: { enabled: { from: true, to: false } },
    description:
      'The fields the change set, each {from, to} (no `from` for a target just created, no `to` for one deleted); never a token or a secret',
  })
  changes!: AuditChanges;
  @ApiProperty({ description: 'The X-Request-Id of the request that made the change' }) requestId!: string;
}

export class AuditLogPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next (older) page' })
  nextCursor!: string | null;
}
