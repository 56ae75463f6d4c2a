import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CursorQuery, UuidField } from '@rollcall/common';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import type { ScimEventOutcome } from '@rollcall/database';

export class EventQuery extends CursorQuery {
  @ApiPropertyOptional({
    enum: ['failed', 'succeeded'],
    description: 'Only failed (status ≥ 400) or succeeded requests (every other outcome, `read` included)',
  })
  @IsOptional()
  @IsIn(['failed', 'succeeded'])
  status?: 'failed' | 'succeeded';

  @ApiPropertyOptional({ enum: ['User', 'Group'] })
  @IsOptional()
  @IsIn(['User', 'Group'])
  resourceType?: 'User' | 'Group';

  @ApiPropertyOptional({ format: 'uuid', description: 'Only events of this user or group' })
  @IsOptional()
  @UuidField()
  resourceId?: string;

  @ApiPropertyOptional({
    example: 'ann@example.com',
    description:
      "Only events of the user or group with this userName or displayName (ignoring case) at the event's time",
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  resourceName?: string;

  @ApiPropertyOptional({ description: 'Only events at or after this time (ISO 8601)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  since?: Date;
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
  @ApiProperty({
    enum: ['changed', 'unchanged', 'failed', 'read'],
    description:
      '`changed`: the request changed the resource (created, updated, deleted); `unchanged`: a write that left it ' +
      'as it was (an identity provider re-sending what it sent before); `failed`: status ≥ 400; `read`: the ' +
      'integration’s first request, when it only read (a look-up such as Okta’s Test API Credentials; later reads ' +
      'are not recorded)',
  })
  outcome!: ScimEventOutcome;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    example: {
      title: { from: 'Engineer', to: 'Manager' },
      'name.givenName': { from: 'Ann', to: 'Anne' },
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': { to: 'Sales' },
      password: { changed: true },
    },
    description:
      'What an update changed: attribute path (SCIM notation) → `{from, to}`; `from` is absent when the attribute ' +
      'was not set, `to` when it was removed. Lists (emails, phoneNumbers…) are one path with the whole old and new ' +
      'list. The password is only `{changed: true}`. Strings over 256 characters are cut (`…[cut: N characters]`), ' +
      'values over 1 KB replaced by `…[cut: a value of N bytes]`. A group’s members: `members: {added, removed, ' +
      'addedIds, removedIds}` (exact counts, the first 100 ids of each). Null for creates (the next change’s `from` ' +
      'values and the resource itself show what was created), deletes, failures and `unchanged` events.',
  })
  changes!: Record<string, unknown> | null;
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
