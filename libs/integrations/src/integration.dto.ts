import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsOmittable, UuidField } from '@rollcall/common';
import { SCIM_PROVIDERS, type ScimProvider } from '@rollcall/database';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

export class CreateIntegrationDto {
  @ApiProperty({ example: 'Okta production', maxLength: 200 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: SCIM_PROVIDERS, example: 'okta' })
  @IsIn(SCIM_PROVIDERS, { message: `provider must be one of ${SCIM_PROVIDERS.join(', ')}` })
  provider!: ScimProvider;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'An existing group to provision users into (or newGroupName)',
  })
  @IsOmittable()
  @UuidField()
  groupId?: string;

  @ApiPropertyOptional({ example: 'Okta users', description: 'Create this group as the target (or groupId)' })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  newGroupName?: string;
}

export class UpdateIntegrationDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "New target group; the integration's users move from the old target group to this one",
  })
  @IsOmittable()
  @UuidField()
  groupId?: string;

  @ApiPropertyOptional({ description: "false: the integration's token gets 401 until it is enabled again" })
  @IsOmittable()
  @IsBoolean()
  enabled?: boolean;
}

export class RotateTokenDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_GRACE_SECONDS,
    default: 0,
    description: 'How long the previous token keeps working (0: it stops at once; at most 7 days)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_GRACE_SECONDS)
  graceSeconds?: number;
}

export class IntegrationGroupDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

export class IntegrationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: SCIM_PROVIDERS }) provider!: ScimProvider;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({
    type: IntegrationGroupDto,
    description: 'Every user the integration provisions is a member',
  })
  group!: IntegrationGroupDto;
  @ApiProperty({
    example: 'https://rollcall.example.com/scim/v2',
    description: "Paste into the IdP's SCIM base URL",
  })
  scimBaseUrl!: string;
  @ApiProperty({ example: 'rc_scim_…a1B2' }) tokenHint!: string;
  @ApiProperty() tokenCreatedAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) tokenLastUsedAt!: Date | null;
  @ApiProperty({ description: 'Users this integration provisioned' }) userCount!: number;
  @ApiProperty({ description: 'Groups this integration pushed' }) groupCount!: number;
  @ApiProperty({
    nullable: true,
    type: Date,
    description: 'The last SCIM request (to the minute for reads, exact for changes and failures)',
  })
  lastRequestAt!: Date | null;
  @ApiProperty({ description: 'Failed SCIM requests in the last 24 hours' }) failedRequests24h!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class SetupStepDto {
  @ApiProperty({ example: 'Enable the API integration' }) title!: string;
  @ApiProperty({
    example:
      'Provisioning → Configure API Integration → Enable API integration. Base URL: https://rollcall.example.com/scim/v2. OAuth Bearer Token: the integration’s token (rc_scim_…).',
  })
  detail!: string;
}

export class IntegrationSetupDto {
  @ApiProperty({ enum: SCIM_PROVIDERS }) provider!: ScimProvider;
  @ApiProperty({ example: 'Okta' }) providerName!: string;
  @ApiProperty({ example: 'https://rollcall.example.com/scim/v2', description: 'The same as scimBaseUrl' })
  baseUrl!: string;
  @ApiProperty({
    example: 'Base URL',
    description: "Where the base URL goes, as the provider's screens call it",
  })
  baseUrlField!: string;
  @ApiProperty({
    example: 'OAuth Bearer Token',
    description: "Where the token goes, as the provider's screens call it (the token itself is never here)",
  })
  tokenField!: string;
  @ApiProperty({ type: [SetupStepDto] }) steps!: SetupStepDto[];
  @ApiProperty({ type: [String] }) notes!: string[];
}

/** One integration, with how to connect its identity provider. */
export class IntegrationDetailsDto extends IntegrationDto {
  @ApiProperty({
    type: IntegrationSetupDto,
    description:
      "How to connect the integration's identity provider: steps, the base URL and where the token goes",
  })
  setup!: IntegrationSetupDto;
}

export class CreatedIntegrationDto extends IntegrationDetailsDto {
  @ApiProperty({ description: 'The secret SCIM token; shown only now', example: 'rc_scim_…' }) token!: string;
}

export class RotatedTokenDto {
  @ApiProperty({ description: 'The new SCIM token; shown only now' }) token!: string;
  @ApiProperty() tokenHint!: string;
  @ApiProperty() tokenCreatedAt!: Date;
  @ApiProperty({
    nullable: true,
    type: Date,
    description: 'Until when the previous token keeps working (null: it stopped at once)',
  })
  previousTokenValidUntil!: Date | null;
}
