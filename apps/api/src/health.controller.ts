import { Controller, Get } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';

class HealthIndicatorDto {
  @ApiProperty({ enum: ['up', 'down'] }) status!: string;
}

class HealthDto {
  @ApiProperty({ enum: ['ok', 'error'], example: 'ok' }) status!: string;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/HealthIndicatorDto' } })
  details!: Record<string, HealthIndicatorDto>;
}

@ApiTags('health')
@ApiExtraModels(HealthIndicatorDto)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness and a database check (no authentication)' })
  @ApiOkResponse({ type: HealthDto, description: 'The server is up and the database answers' })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'The database does not answer' })
  check() {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 2000 })]);
  }
}
