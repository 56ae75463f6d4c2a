import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { IsOmittable, PageMeta } from '@rollcall/common';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateTenantDto {
  @ApiProperty({ example: 'Acme', maxLength: 200 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;
}

export class UpdateTenantDto {
  @ApiPropertyOptional({ example: 'Acme Corp', maxLength: 200 })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'false stops every token of the tenant at once' })
  @IsOmittable()
  @IsBoolean()
  enabled?: boolean;
}

export class TenantDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class CreatedTenantDto extends TenantDto {
  @ApiProperty({ description: 'The first admin token of the tenant; shown only now', example: 'rc_adm_…' })
  adminToken!: string;
}

export class TenantPageDto extends PageMeta {
  @ApiProperty({ type: [TenantDto] }) items!: TenantDto[];
}
