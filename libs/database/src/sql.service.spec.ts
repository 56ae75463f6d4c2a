import { EventEmitter } from 'node:events';
import { type Client, Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { SqlService } from './sql.service';

/** A pool that records what it was asked to run. */
function fakeDatabase() {
  const calls: { name?: string; text: string }[] = [];
  const query = (q: string | { name: string; text: string }) => {
    calls.push(typeof q === 'string' ? { text: q } : { name: q.name, text: q.text });
    return Promise.resolve({ rows: [] });
  };
  const pool = { query, connect: () => Promise.resolve({ query, release: () => undefined }) };
  const db = { driver: { master: pool } } as unknown as DataSource;
  return { sql: new SqlService(db), calls };
}

describe(SqlService.name, () => {
  it('prepares a fixed statement at once, under one stable name', async () => {
    const { sql, calls } = fakeDatabase();
    await sql.query('SELECT 1 WHERE $1', [1], true);
    await sql.query('SELECT 1 WHERE $1', [2], true);
    expect(calls[0].name).toMatch(/^rc_[0-9a-f]{24}$/);
    expect(calls[1].name).toBe(calls[0].name);
  });

  it('prepares a recurring statement from its third use on, and a one-off never', async () => {
    const { sql, calls } = fakeDatabase();
    for (let i = 0; i < 4; i++) await sql.query('SELECT $1::int', [i]);
    await sql.query('SELECT 2');
    expect(calls.map((c) => c.name !== undefined)).toEqual([false, false, true, true, false]);
  });

  it('never prepares more than 256 statement texts, whatever filters clients send', async () => {
    const { sql, calls } = fakeDatabase();
    for (let shape = 0; shape < 400; shape++) {
      for (let i = 0; i < 3; i++) await sql.query(`SELECT ${shape} WHERE $1`, [i]);
    }
    const names = new Set(calls.flatMap((c) => (c.name ? [c.name] : [])));
    expect(names.size).toBe(256);
    // Past the cap, statements still run, unprepared.
    expect(calls.at(-1)).toEqual({ text: 'SELECT 399 WHERE $1' });
  });

  it('prepares the statements of transactions as it prepares the others', async () => {
    const { sql, calls } = fakeDatabase();
    for (let i = 0; i < 3; i++) {
      await sql.transaction(async (tx) => {
        await tx.query('UPDATE t SET n = $1', [i]);
      });
    }
    expect(calls.map((c) => [c.text, c.name !== undefined])).toEqual([
      ...[false, false, true].flatMap((prepared) => [
        ['BEGIN', false],
        ['UPDATE t SET n = $1', prepared],
        ['COMMIT', false],
      ]),
    ]);
  });
});

/** A pg client that connects and answers at once: the pool's own queueing is what is under test. */
class InstantClient extends EventEmitter {
  /** What the pool checks before it keeps a released client. */
  readonly _queryable = true;
  readonly _ending = false;

  connect(callback: (err?: Error) => void): void {
    setImmediate(() => callback());
  }
  query(_text: unknown, _values: unknown, callback: (err: Error | undefined, res: unknown) => void): void {
    setImmediate(() => callback(undefined, { rows: [] }));
  }
  end(callback?: () => void): void {
    callback?.();
  }
}

describe(`${SqlService.name} pool waits`, () => {
  function instrumentedPool(max: number) {
    const pool = new Pool({ Client: InstantClient as unknown as typeof Client, max });
    const sql = new SqlService({ driver: { master: pool } } as unknown as DataSource);
    const waits: number[] = [];
    sql.observePoolWaits((seconds) => waits.push(seconds));
    return { pool, sql, waits };
  }

  it('observes only the checkouts that find every connection taken, once they get one', async () => {
    const { pool, sql, waits } = instrumentedPool(2);
    const [a, b] = await Promise.all([pool.connect(), pool.connect()]);
    expect(waits).toEqual([]);
    expect(sql.poolUsage()).toEqual({ total: 2, idle: 0, waiting: 0, max: 2 });
    const third = pool.connect();
    expect(sql.poolUsage().waiting).toBe(1);
    expect(waits).toEqual([]);
    a.release();
    const c = await third;
    expect(waits).toHaveLength(1);
    b.release();
    c.release();
    await pool.end();
  });

  it('counts a checkout queued behind others for the idle connections as waiting, and pool.query as a checkout', async () => {
    const { pool, sql, waits } = instrumentedPool(2);
    const opened = await Promise.all([pool.connect(), pool.connect()]);
    opened.forEach((client) => client.release());
    expect(sql.poolUsage()).toMatchObject({ total: 2, idle: 2 });
    // Five at once on two idle connections: two take them, three wait for one of those to come back.
    await Promise.all(Array.from({ length: 5 }, () => sql.query('SELECT 1')));
    expect(waits).toHaveLength(3);
    expect(sql.poolUsage()).toEqual({ total: 2, idle: 2, waiting: 0, max: 2 });
    await pool.end();
  });
});
