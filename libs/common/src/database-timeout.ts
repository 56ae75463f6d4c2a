/** The SQLSTATE on a driver error, or on the driver error a TypeORM QueryFailedError wraps. */
function sqlStateOf(e: unknown): string | undefined {
  const direct = (e as { code?: unknown } | null)?.code;
  const wrapped = (e as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  const code = typeof direct === 'string' ? direct : wrapped;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * The database ran out of time for this request: a statement or lock timeout, a transaction left idle too
 * long, or no pool connection in time. The request may be retried (503 + Retry-After); it is not the
 * caller's fault, and not a bug (500).
 */
export function isDatabaseTimeout(e: unknown): boolean {
  const code = sqlStateOf(e);
  // 57014 query_canceled (statement_timeout), 55P03 lock_not_available (lock_timeout),
  // 25P03 idle_in_transaction_session_timeout.
  if (code === '57014' || code === '55P03' || code === '25P03') return true;
  const message = e instanceof Error ? e.message : '';
  return /timeout exceeded when trying to connect|connection terminated due to connection timeout/i.test(
    message,
  );
}
