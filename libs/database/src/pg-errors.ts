import { QueryFailedError } from 'typeorm';

/** The SQLSTATE of a failed query, when it is one (23505 unique_violation, 23503 foreign_key_violation, …). */
export function pgErrorCode(e: unknown): string | undefined {
  if (e instanceof QueryFailedError) {
    const code = (e.driverError as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : undefined;
  }
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isUniqueViolation(e: unknown, constraint?: string): boolean {
  if (pgErrorCode(e) !== '23505') return false;
  if (!constraint) return true;
  const driver: unknown = e instanceof QueryFailedError ? e.driverError : e;
  return (driver as { constraint?: string }).constraint === constraint;
}

/** A foreign key refused the change: 23503, or 23001 for an `ON DELETE RESTRICT` reference. */
export function isForeignKeyViolation(e: unknown): boolean {
  const code = pgErrorCode(e);
  return code === '23503' || code === '23001';
}
