import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageMeta, PageQuery, UuidField } from '@rollcall/common';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const bool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class CreateGroupDto {
  @ApiProperty({ example: 'Engineering', maxLength: 256 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  name!: string;
}

export class UpdateGroupDto extends CreateGroupDto {}

export class GroupQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Case-insensitive search in group names' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  q?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only groups pushed by this integration' })
  @IsOptional()
  @UuidField()
  integrationId?: string;
}

export class MemberQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only active (true) or deactivated (false) users' })
  @IsOptional()
  @Transform(bool)
  @IsBoolean()
  active?: boolean;
}

export class UserQuery extends MemberQuery {
  @ApiPropertyOptional({ description: 'Case-insensitive search in userName and displayName' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  q?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only users provisioned by this integration' })
  @IsOptional()
  @UuidField()
  integrationId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only members of this group' })
  @IsOptional()
  @UuidField()
  groupId?: string;
}

export class GroupOwnerDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

export class GroupDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({
    type: GroupOwnerDto,
    nullable: true,
    description: 'The SCIM integration that pushed and owns this group; null for groups created here',
  })
  @Type(() => GroupOwnerDto)
  ownerIntegration!: GroupOwnerDto | null;
  @ApiProperty() memberCount!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class GroupPageDto extends PageMeta {
  @ApiProperty({ type: [GroupDto] }) items!: GroupDto[];
}

export class DirectoryUserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) integrationId!: string;
  @ApiProperty() userName!: string;
  @ApiProperty({ nullable: true, type: String }) displayName!: string | null;
  @ApiProperty({ nullable: true, type: String }) externalId!: string | null;
  @ApiProperty() active!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class DirectoryUserPageDto extends PageMeta {
  @ApiProperty({ type: [DirectoryUserDto] }) items!: DirectoryUserDto[];
}
