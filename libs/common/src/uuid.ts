import { applyDecorators, type ArgumentMetadata, Param, ParseUUIDPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsUUID } from 'class-validator';
import { ApiException } from './api-error';

/*
 * A UUID may arrive in any letter case; PostgreSQL returns it in lower case. Both ways in below lower-case it,
 * so that the services compare ids from a request with ids from the database as they are.
 */

/** Validates a UUID, then lower-cases it. */
class LowerCaseUuidPipe extends ParseUUIDPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<string> {
    return String(await super.transform(value, metadata)).toLowerCase();
  }
}

/** A route parameter that must be a UUID (lower-cased); anything else is a 400 naming the parameter. */
export const UuidParam = (name = 'id') =>
  Param(
    name,
    new LowerCaseUuidPipe({
      exceptionFactory: () => ApiException.validation(name, `${name} must be a UUID`),
    }),
  );

/** A DTO field that must be a UUID (any version, lower-cased); anything else fails validation naming the field. */
export const UuidField = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value)),
    IsUUID('all', { message: '$property must be a UUID' }),
  );
