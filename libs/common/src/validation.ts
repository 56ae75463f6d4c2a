import { type ArgumentMetadata, HttpStatus, type ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { ApiErrorCode, ApiException, type ApiFieldError } from './api-error';

/**
 * An optional field that may be left out but not sent as null: null is validated (and refused) like any
 * other value, where `@IsOptional()` would let it through to the service as if it were a value.
 */
export const IsOmittable = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);

/** The path of the first string holding U+0000, which PostgreSQL text cannot store. */
function nulPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = nulPath(child, path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Whitelisted DTO validation that also refuses NUL characters (a 400, not a database error). */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.toValidate(metadata)) {
      const field = nulPath(value, '');
      if (field !== undefined) {
        const name = field || metadata.data || metadata.type;
        throw ApiException.validation(name, `${name} must not contain NUL characters`);
      }
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

function flatten(errors: ValidationError[], parent = ''): ApiFieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({
      field,
      message: message.replace(/^property (\S+) should not exist$/, `${field} is not a known field`),
    }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** The settings API's validation: whitelisted DTOs, unknown fields refused, every failure a 400 naming the field. */
export function createValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      const message = fields.map((f) => f.message).join('; ') || 'Invalid request';
      return new ApiException(HttpStatus.BAD_REQUEST, ApiErrorCode.ValidationFailed, message, fields);
    },
  });
}
