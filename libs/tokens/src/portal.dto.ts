import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { UuidField } from '@rollcall/common';

export class CreatePortalLinkDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'The tenant whose admin portal the link opens: required with the operator token; with an admin token, its own tenant (the default)',
  })
  @IsOptional()
  @UuidField()
  tenantId?: string;
}

export class PortalLinkDto {
  @ApiProperty({
    example: 'https://rollcall.example.com/portal/start?code=rc_pl_…',
    description:
      'Send the customer’s admin here (a redirect or an email). It opens the portal once, before expiresAt.',
  })
  url!: string;
  @ApiProperty({ description: 'After this the link says it has expired (PORTAL_LINK_TTL_SECONDS)' })
  expiresAt!: Date;
}

export class PortalSessionInfoDto {
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty() tenantName!: string;
  @ApiProperty({
    description:
      'Send it as the X-CSRF-Token header on every POST, PUT, PATCH and DELETE through the session',
  })
  csrfToken!: string;
  @ApiProperty({
    description: 'When the session ends unless another request comes first (PORTAL_SESSION_IDLE_SECONDS)',
  })
  expiresAt!: Date;
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
}

export class PortalLinkCreatorDto {
  @ApiProperty({ enum: ['admin', 'operator'] }) kind!: 'admin' | 'operator';
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    description: 'The admin token; null for the operator',
  })
  tokenId!: string | null;
}

export class PortalSessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'rc_ps_…x9Qa', description: "The session secret's prefix and last characters" })
  hint!: string;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ description: 'Its last request' }) lastSeenAt!: Date;
  @ApiProperty({ description: 'When it ends unless another request comes first' }) expiresAt!: Date;
  @ApiProperty({ format: 'uuid', description: 'The portal link that was opened to start it' })
  linkId!: string;
  @ApiProperty({ type: PortalLinkCreatorDto, description: 'Who made that link' })
  linkCreatedBy!: PortalLinkCreatorDto;
}
