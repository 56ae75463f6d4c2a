import { Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiException } from './api-error';

/** A route parameter that must be a UUID; anything else is a 400 naming the parameter. */
export const UuidParam = (name = 'id') =>
  Param(
    name,
    new ParseUUIDPipe({ exceptionFactory: () => ApiException.validation(name, `${name} must be a UUID`) }),
  );
