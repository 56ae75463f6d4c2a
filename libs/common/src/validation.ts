import { HttpStatus, type ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiErrorCode, ApiException, type ApiFieldError } from './api-error';

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
  return new ValidationPipe({
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
