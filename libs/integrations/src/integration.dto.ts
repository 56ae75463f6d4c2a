import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsOmittable } from '@rollcall/common';
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
  @IsUUID('all', { message: 'groupId must be a UUID' })
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
  @IsUUID('all', { message: 'groupId must be a UUID' })
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

export class CreatedIntegrationDto extends IntegrationDto {
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
