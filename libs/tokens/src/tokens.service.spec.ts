import type { SqlService } from '@rollcall/database';
import { AuditService } from '@rollcall/audit';
import { loadConfig } from '@rollcall/common';
import { generateToken } from './token-format';
import { TokensService } from './tokens.service';

const ROW = {
  id: 'token-1',
  kind: 'admin',
  hint: 'rc_adm_…x9Qa',
  tenant_id: 'tenant-1',
  integration_id: null,
  provider: null,
  group_id: null,
  expires_at: null,
  revoked_at: null,
};

/** A database whose token look-ups answer only when the test says so; other statements answer at once. */
function slowDatabase() {
  const pending: ((rows: unknown[]) => void)[] = [];
  let lookups = 0;
  const db = {
    query: (sql: string) => {
      if (!sql.includes('FROM api_tokens t')) return Promise.resolve([]);
      lookups++;
      return new Promise<unknown[]>((resolve) => pending.push(resolve));
    },
  };
  return {
    db: db as unknown as SqlService,
    answer: (rows: unknown[]) => pending.shift()!(rows),
    lookups: () => lookups,
  };
}

describe(TokensService.name, () => {
  it('trusts a verified token for a moment without asking the database again', async () => {
    const { db, answer, lookups } = slowDatabase();
    const tokens = new TokensService(db, loadConfig({}), new AuditService(db));
    const token = generateToken('admin', '0f8fad5b-d9cb-469f-a165-70867728950e');
    const first = tokens.authenticate(token);
    answer([ROW]);
    expect(await first).toEqual({
      kind: 'admin',
      tenantId: 'tenant-1',
      tokenId: 'token-1',
      tokenHint: 'rc_adm_…x9Qa',
    });
    expect(await tokens.authenticate(token)).toEqual({
      kind: 'admin',
      tenantId: 'tenant-1',
      tokenId: 'token-1',
      tokenHint: 'rc_adm_…x9Qa',
    });
    expect(lookups()).toBe(1);
  });

  it('does not cache the answer of a look-up that was in flight when the cache was invalidated', async () => {
    const { db, answer, lookups } = slowDatabase();
    const tokens = new TokensService(db, loadConfig({}), new AuditService(db));
    const token = generateToken('admin', '0f8fad5b-d9cb-469f-a165-70867728950e');
    const inFlight = tokens.authenticate(token);
    // The revocation commits and invalidates while the look-up is still reading the old row.
    tokens.invalidate();
    answer([ROW]);
    await inFlight;
    // The next request must ask the database again, and sees the revocation.
    const next = tokens.authenticate(token);
    expect(lookups()).toBe(2);
    answer([]);
    expect(await next).toBeUndefined();
  });
});
