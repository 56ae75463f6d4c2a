import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class EventQuery {
  @ApiPropertyOptional({
    enum: ['failed', 'succeeded'],
    description: 'Only failed (status ≥ 400) or succeeded requests',
  })
  @IsOptional()
  @IsIn(['failed', 'succeeded'])
  status?: 'failed' | 'succeeded';

  @ApiPropertyOptional({ enum: ['User', 'Group'] })
  @IsOptional()
  @IsIn(['User', 'Group'])
  resourceType?: 'User' | 'Group';

  @ApiPropertyOptional({ description: 'Only events at or after this time (ISO 8601)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  since?: Date;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;
}

export class ActivityEventDto {
  @ApiProperty({ example: '1042' }) id!: string;
  @ApiProperty() time!: Date;
  @ApiProperty({ example: 'PATCH' }) method!: string;
  @ApiProperty({ example: '/Users/2819c223-7f76-453a-919d-413861904646' }) path!: string;
  @ApiProperty({ enum: ['User', 'Group'], nullable: true, type: String }) resourceType!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) resourceId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'userName or displayName' }) resourceName!:
    string | null;
  @ApiProperty({ example: 200 }) status!: number;
  @ApiProperty({ enum: ['succeeded', 'failed'] }) outcome!: 'succeeded' | 'failed';
  @ApiProperty({ nullable: true, type: String, example: 'uniqueness' }) scimType!: string | null;
  @ApiProperty({ nullable: true, type: String }) detail!: string | null;
  @ApiProperty() durationMs!: number;
  @ApiProperty() requestId!: string;
  @ApiProperty({
    example: 1,
    description:
      'How many requests this event stands for: 1, or for refused requests (429) the number refused in that minute',
  })
  count!: number;
}

export class ActivityPageDto {
  @ApiProperty({ type: [ActivityEventDto] }) items!: ActivityEventDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next (older) page' })
  nextCursor!: string | null;
}
