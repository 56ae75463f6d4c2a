import { Injectable } from '@nestjs/common';

/**
 * The time, for rules decided in the application rather than by the database's `now()` (a portal link's
 * expiry, a portal session's idle time). Tests move it instead of waiting.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
