// The workloads W1–W6 and the prefill, as described in issue 4 point 6.
import { performance } from 'node:perf_hooks';
import { type HttpClient, type HttpResult, isOk, parseJson } from './http';
import { ClientCpu, MachineCpu, type ServerMonitor } from './monitor';
import { runCount, runFor } from './runner';
import {
  GROUP_SCHEMA,
  type KnownUser,
  type ScimGroup,
  type ScimList,
  type ScimUser,
  eqFilter,
  BULK_REQUEST_SCHEMA,
  newUserBody,
  patchBody,
  userLookupPath,
} from './scim';
import { Recorder, type WorkloadReport, fmt, goal, percentile } from './stats';

export interface BenchOptions {
  concurrency: number;
  users: number;
  durationSeconds: number;
  prefillConcurrency: number;
  groupMembers: number;
  groupBatch: number;
  groupInFlight: number;
  /** B1: users created through /Bulk, operations per request, and requests in flight. */
  bulkUsers: number;
  bulkSize: number;
  bulkInFlight: number;
  /** When set, W4 walks at most this many pages (half at the start, half at the end of the directory). */
  w4MaxPages?: number;
  /** N1: integration B's requests in flight, alone and under the flood. */
  neighbourInFlight: number;
  /** N1: integration A's requests in flight during the flood, and the flood's length in seconds. */
  floodInFlight: number;
  floodSeconds: number;
  /** H1, M1: the server's request body limit in bytes (BODY_LIMIT_BYTES). */
  bodyLimit: number;
  /** M1: rounds of `m1Parallel` bodies at the body limit, all in flight at once. */
  m1Rounds: number;
  m1Parallel: number;
}

export interface BenchContext {
  client: HttpClient;
  /** The SCIM base URL and integration A's token (the workloads that need clients of their own). */
  url: string;
  token: string;
  /** Integration B's token (N1), in another tenant. */
  tokenB?: string;
  options: BenchOptions;
  runId: string;
  /** Users known to exist: created by this run, or read from the directory when W1 did not run. */
  users: KnownUser[];
  /** How many users this run has created (W4 checks totalResults is at least this). */
  createdThisRun: number;
  /** W1's creates/s in this run, once it has run: B1's yardstick. */
  w1CreatesPerSecond?: number;
  monitor?: ServerMonitor;
}

export type Workload = (ctx: BenchContext) => Promise<WorkloadReport | WorkloadReport[]>;

/** Says what is wrong with a 2xx response, or undefined when it is fine (non-2xx is judged by the Recorder). */
function check(r: HttpResult, ok: boolean, problem: string): string | undefined {
  return isOk(r.status) && !ok ? problem : undefined;
}

export function report(name: string, rec: Recorder | undefined, extras: string[] = []): WorkloadReport {
  return {
    name,
    summary: rec?.summary(),
    extras,
    goals: [],
    notes: [],
    firstErrors: rec ? [...rec.firstErrors] : [],
  };
}

/** Stop condition for the runners: the server stopped answering. */
function down(ctx: BenchContext): () => boolean {
  return () => ctx.client.down;
}

export function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)];
}

/**
 * Runs a workload with the server monitor and client CPU measured around it. A workload that throws is
 * reported as failed rather than ending the whole run.
 */
export async function measured(name: string, ctx: BenchContext, w: Workload): Promise<WorkloadReport[]> {
  const cpu = new ClientCpu();
  const machine = new MachineCpu();
  ctx.monitor?.beginWindow();
  cpu.begin();
  machine.begin();
  let reports: WorkloadReport[];
  try {
    const r = await w(ctx);
    reports = Array.isArray(r) ? r : [r];
  } catch (e) {
    const failed = report(name, undefined);
    failed.skipped = `failed: ${e instanceof Error ? e.message : String(e)}`;
    reports = [failed];
  }
  const clientCpu = cpu.percent();
  const machineCpu = machine.percent();
  const window = ctx.monitor?.endWindow();
  // A workload with phases (N1) measures each phase itself; the whole window fills in the rest.
  for (const r of reports) {
    if (r.skipped) continue;
    r.clientCpuPercent ??= clientCpu;
    r.machineCpuPercent ??= machineCpu;
    if (window) {
      r.serverPeakRssMb ??= window.peakRssMb;
      r.serverCpuPercent ??= window.cpuPercent;
      r.databaseCpuPercent ??= window.childrenCpuPercent;
    }
  }
  return reports;
}

/** Load figures of one phase of a workload: call the result when the phase ends, and copy them to its report. */
export function phaseLoad(ctx: BenchContext): () => Partial<WorkloadReport> {
  const cpu = new ClientCpu();
  const machine = new MachineCpu();
  ctx.monitor?.beginWindow();
  cpu.begin();
  machine.begin();
  return () => {
    const window = ctx.monitor?.endWindow();
    return {
      clientCpuPercent: cpu.percent(),
      machineCpuPercent: machine.percent(),
      ...(window
        ? {
            serverPeakRssMb: window.peakRssMb,
            serverCpuPercent: window.cpuPercent,
            databaseCpuPercent: window.childrenCpuPercent,
          }
        : {}),
    };
  };
}

// ------------------------------------------------------------------------------------- shared helpers

export async function createUsers(
  ctx: BenchContext,
  rec: Recorder,
  count: number,
  concurrency: number,
  nameOf: (i: number) => string,
  onProgress?: (done: number) => void,
): Promise<KnownUser[]> {
  const created: KnownUser[] = [];
  let done = 0;
  await runCount(
    count,
    concurrency,
    async (i) => {
      const userName = nameOf(i);
      const r = await ctx.client.request('POST', '/Users', newUserBody(userName, i));
      const body = parseJson<ScimUser>(r.body);
      const problem = check(r, r.status === 201 && typeof body?.id === 'string', 'expected 201 with an id');
      if (rec.record('POST', '/Users', r, 'create', problem) && body) {
        created.push({ id: body.id, userName });
      }
      done++;
      onProgress?.(done);
    },
    down(ctx),
  );
  ctx.createdThisRun += created.length;
  ctx.users.push(...created);
  return created;
}

/** The directory's user count, from a list request asking for no resources. */
export async function countUsers(client: HttpClient): Promise<number> {
  const r = await client.request('GET', '/Users?count=0');
  const body = parseJson<ScimList<ScimUser>>(r.body);
  if (!isOk(r.status) || typeof body?.totalResults !== 'number') {
    throw new Error(`GET /Users?count=0 answered ${r.status}: ${r.body.slice(0, 200)}`);
  }
  return body.totalResults;
}

/** Fills ctx.users from the directory (first pages) when this run has not created users itself. */
export async function ensureKnownUsers(ctx: BenchContext, wanted: number): Promise<void> {
  if (ctx.users.length > 0) return;
  for (let start = 1; ctx.users.length < wanted; start += 100) {
    const r = await ctx.client.request('GET', `/Users?startIndex=${start}&count=100&attributes=userName`);
    const body = parseJson<ScimList<ScimUser>>(r.body);
    if (!isOk(r.status) || !body) throw new Error(`GET /Users answered ${r.status}: ${r.body.slice(0, 200)}`);
    const page = body.Resources ?? [];
    for (const u of page) ctx.users.push({ id: u.id, userName: u.userName });
    if (page.length === 0 || start + page.length > body.totalResults) break;
  }
  if (ctx.users.length === 0) throw new Error('the directory has no users: run W1 (or --prefill) first');
}

// ------------------------------------------------------------------------------------------------- W1

export const w1Create: Workload = async (ctx) => {
  const { users, concurrency } = ctx.options;
  const rec = new Recorder().start();
  await createUsers(ctx, rec, users, concurrency, (i) => `${ctx.runId}-${i}@example.com`);
  rec.stop();
  const r = report(`W1 create ${fmt(users, 0)} users`, rec);
  const s = rec.summary();
  ctx.w1CreatesPerSecond = s.okPerSecond;
  r.goals.push(
    goal('W1 creates/s', s.okPerSecond, '>=', 700, '/s'),
    goal('W1 errors', s.errors, '<=', 0, ''),
  );
  return r;
};

// ------------------------------------------------------------------------------------------------- B1

/** B1's goal: users created through /Bulk per second, as a multiple of W1's creates/s on the same server. */
const B1_GOAL_RATIO = 2;

/**
 * Issue 10: `--bulk-users` (10,000) users created through `POST /Bulk` in requests of `--bulk-size` (1,000) POST
 * operations, `--bulk-inflight` (2) requests in flight. Its figure is users created per second (201 operations
 * over the whole time), judged against 2 × W1's creates/s of the same run (W1 must have run before it).
 */
export const b1Bulk: Workload = async (ctx) => {
  const { bulkUsers, bulkSize, bulkInFlight } = ctx.options;
  const requests = Math.ceil(bulkUsers / bulkSize);
  let created = 0;
  const rec = new Recorder().start();
  await runCount(
    requests,
    bulkInFlight,
    async (n) => {
      const first = n * bulkSize;
      const size = Math.min(bulkSize, bulkUsers - first);
      const operations = Array.from({ length: size }, (_, k) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `u${first + k}`,
        data: newUserBody(`${ctx.runId}-bulk-${first + k}@example.com`, first + k),
      }));
      const r = await ctx.client.request('POST', '/Bulk', {
        schemas: [BULK_REQUEST_SCHEMA],
        Operations: operations,
      });
      const body = parseJson<{ Operations?: { status?: string }[] }>(r.body);
      const ok = body?.Operations?.filter((o) => o.status === '201').length ?? 0;
      created += ok;
      rec.record(
        'POST',
        '/Bulk',
        r,
        'bulk',
        check(r, ok === size, `expected ${size} operations answered 201, got ${ok}`),
      );
    },
    down(ctx),
  );
  rec.stop();
  ctx.createdThisRun += created;
  const s = rec.summary();
  const usersPerSecond = s.seconds > 0 ? created / s.seconds : 0;
  const r = report(`B1 /Bulk create ${fmt(bulkUsers, 0)} users, ${fmt(bulkSize, 0)} per request`, rec, [
    `${fmt(created, 0)} users created in ${fmt(s.seconds, 2)} s: ${fmt(usersPerSecond)} users/s` +
      (ctx.w1CreatesPerSecond
        ? ` = ${fmt(usersPerSecond / ctx.w1CreatesPerSecond, 2)} × W1's ${fmt(ctx.w1CreatesPerSecond)} creates/s`
        : ''),
  ]);
  if (ctx.w1CreatesPerSecond) {
    r.goals.push(
      goal('B1 users/s', usersPerSecond, '>=', B1_GOAL_RATIO * ctx.w1CreatesPerSecond, '/s'),
      goal('B1 users/s ÷ W1 creates/s', usersPerSecond / ctx.w1CreatesPerSecond, '>=', B1_GOAL_RATIO, '×'),
    );
  } else {
    r.notes.push('W1 did not run: B1 is not compared with it (run --only W1,B1)');
  }
  r.goals.push(goal('B1 errors', s.errors, '<=', 0, ''));
  return r;
};

// ------------------------------------------------------------------------------------------------- W2

export function w2Lookup(label = 'W2'): Workload {
  return async (ctx) => {
    await ensureKnownUsers(ctx, ctx.options.users);
    const directory = await countUsers(ctx.client);
    const rec = new Recorder().start();
    await runFor(
      ctx.options.durationSeconds,
      ctx.options.concurrency,
      async () => {
        const u = pick(ctx.users);
        const path = userLookupPath(u.userName);
        const r = await ctx.client.request('GET', path);
        const body = parseJson<ScimList<ScimUser>>(r.body);
        const hit = body?.totalResults === 1 && body.Resources?.[0]?.id === u.id;
        rec.record('GET', path, r, 'lookup', check(r, hit, `expected exactly user ${u.id}`));
      },
      down(ctx),
    );
    rec.stop();
    const r = report(`${label} userName eq lookups (${fmt(directory, 0)} users)`, rec);
    const s = rec.summary();
    r.goals.push(
      goal(`${label} lookups/s`, s.okPerSecond, '>=', 2000, '/s'),
      goal(`${label} p99`, s.p99, '<=', 25, ' ms'),
      goal(`${label} errors`, s.errors, '<=', 0, ''),
    );
    return r;
  };
}

// ------------------------------------------------------------------------------------------------- W3

export const w3ActiveToggle: Workload = async (ctx) => {
  await ensureKnownUsers(ctx, ctx.options.users);
  const users = ctx.users;
  // The next value to send per user; users start active (W1 creates them so), so the first toggle is false.
  const nextActive = new Map<string, boolean>();
  const rec = new Recorder().start();
  let cursor = 0;
  await runFor(
    ctx.options.durationSeconds,
    ctx.options.concurrency,
    async () => {
      // Round-robin, so the requests in flight touch different users.
      const u = users[cursor++ % users.length];
      const active = nextActive.get(u.id) ?? false;
      const path = `/Users/${u.id}`;
      const r = await ctx.client.request('PATCH', path, patchBody({ op: 'replace', value: { active } }));
      const body = parseJson<ScimUser>(r.body);
      const ok = r.status === 204 || body?.active === active;
      if (rec.record('PATCH', path, r, 'patch', check(r, ok, `expected active=${active}`))) {
        nextActive.set(u.id, !active);
      }
    },
    down(ctx),
  );
  rec.stop();
  const r = report('W3 PATCH active toggles', rec);
  const s = rec.summary();
  r.goals.push(
    goal('W3 patches/s', s.okPerSecond, '>=', 1000, '/s'),
    goal('W3 errors', s.errors, '<=', 0, ''),
  );
  return r;
};

// ------------------------------------------------------------------------------------------------- W4

export interface PaginationFigures {
  pagesPerSecond: number;
  usersPerSecond: number;
  headPageP50: number;
  tailPageP50: number;
}

export function w4Paginate(label = 'W4', out?: (f: PaginationFigures) => void, maxPages?: number): Workload {
  return async (ctx) => {
    const PAGE = 100;
    const rec = new Recorder().start();
    const pageMs: number[] = [];
    const ids = new Set<string>();
    let collected = 0;

    /** One page; `expected` is the totalResults every page after the first must repeat. */
    const fetchPage = async (
      startIndex: number,
      expected?: number,
    ): Promise<ScimList<ScimUser> | undefined> => {
      const path = `/Users?startIndex=${startIndex}&count=${PAGE}`;
      const r = await ctx.client.request('GET', path);
      const body = parseJson<ScimList<ScimUser>>(r.body);
      const total = body?.totalResults;
      let problem: string | undefined;
      if (typeof total !== 'number' || !Array.isArray(body?.Resources)) problem = 'not a list response';
      else if (expected !== undefined && total !== expected) {
        problem = `totalResults changed from ${expected} to ${total}`;
      }
      pageMs.push(r.ms);
      return rec.record('GET', path, r, 'page', check(r, problem === undefined, problem ?? ''))
        ? body
        : undefined;
    };

    const first = await fetchPage(1);
    if (!first) {
      rec.stop();
      const failed = report(`${label} pagination`, rec);
      failed.goals.push(goal(`${label} errors`, rec.errors, '<=', 0, ''));
      return failed;
    }
    const expectedTotal = first.totalResults;
    const take = (page: ScimList<ScimUser>) => {
      for (const u of page.Resources ?? []) ids.add(u.id);
      collected += page.Resources?.length ?? 0;
    };
    take(first);

    const pagesTotal = Math.ceil(expectedTotal / PAGE);
    const cap = maxPages ?? ctx.options.w4MaxPages;
    const sampled = cap !== undefined && pagesTotal > cap;
    let starts: number[];
    if (!sampled) {
      starts = Array.from({ length: Math.max(0, pagesTotal - 1) }, (_, i) => 1 + (i + 1) * PAGE);
    } else {
      // Half the budget at the start, half at the end of the directory: enough to see whether a page's cost
      // grows with startIndex, without walking every page.
      const half = Math.floor(cap / 2);
      const head = Array.from({ length: half - 1 }, (_, i) => 1 + (i + 1) * PAGE);
      const tail = Array.from({ length: half }, (_, i) => 1 + (pagesTotal - half + i) * PAGE);
      starts = [...head, ...tail];
    }
    for (const start of starts) {
      if (ctx.client.down) break;
      const page = await fetchPage(start, expectedTotal);
      if (!page) continue;
      const expectedLen = Math.min(PAGE, expectedTotal - start + 1);
      if ((page.Resources?.length ?? 0) !== expectedLen) {
        rec.fail(
          `page at startIndex ${start} had ${page.Resources?.length ?? 0} Resources, expected ${expectedLen}`,
        );
      }
      take(page);
    }
    rec.stop();

    if (!sampled) {
      if (collected !== expectedTotal)
        rec.fail(`collected ${collected} Resources, totalResults said ${expectedTotal}`);
      if (ids.size !== collected) rec.fail(`${collected - ids.size} users appeared on more than one page`);
    }
    if (expectedTotal < ctx.createdThisRun) {
      rec.fail(`totalResults ${expectedTotal} is below the ${ctx.createdThisRun} users this run created`);
    }

    const s = rec.summary();
    const tenth = Math.max(1, Math.floor(pageMs.length / 10));
    const sortedHead = pageMs.slice(0, tenth).sort((a, b) => a - b);
    const sortedTail = pageMs.slice(-tenth).sort((a, b) => a - b);
    const figures: PaginationFigures = {
      pagesPerSecond: s.perSecond,
      usersPerSecond: collected / s.seconds,
      headPageP50: percentile(sortedHead, 50),
      tailPageP50: percentile(sortedTail, 50),
    };
    out?.(figures);
    const r = report(`${label} pagination, ${PAGE} per page (${fmt(expectedTotal, 0)} users)`, rec, [
      `pages/s ${fmt(figures.pagesPerSecond)}`,
      `users/s ${fmt(figures.usersPerSecond)}`,
      `page p50 first 10% ${fmt(figures.headPageP50)} ms, last 10% ${fmt(figures.tailPageP50)} ms`,
    ]);
    r.notes.push(
      sampled
        ? `sampled ${starts.length + 1} of ${pagesTotal} pages (at most ${cap}): half at the start, half at the end; the Resources count was checked per page only`
        : `walked all ${pagesTotal} pages; totalResults ${fmt(expectedTotal, 0)} constant, ${fmt(ids.size, 0)} distinct users collected`,
    );
    r.goals.push(goal(`${label} errors`, s.errors, '<=', 0, ''));
    return r;
  };
}

// ------------------------------------------------------------------------------------------------- W5

/** Statuses meaning "this server has no /Groups endpoint yet". */
const NO_GROUPS = new Set([404, 405, 501]);

export const w5Groups: Workload = async (ctx) => {
  const { groupMembers, groupBatch, groupInFlight, concurrency, durationSeconds } = ctx.options;
  const client = ctx.client;
  const notes: string[] = [];

  const createGroup = async (displayName: string): Promise<string | HttpResult> => {
    const r = await client.request('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName, members: [] });
    const id = parseJson<ScimGroup>(r.body)?.id;
    return r.status === 201 && typeof id === 'string' ? id : r;
  };

  const groupA = `${ctx.runId}-group-seq`;
  const a = await createGroup(groupA);
  if (typeof a !== 'string') {
    const skipped = report('W5 groups', undefined);
    skipped.skipped = NO_GROUPS.has(a.status)
      ? `/Groups answered ${a.status}`
      : `POST /Groups answered ${a.status}: ${a.body.slice(0, 200) || a.error}`;
    return skipped;
  }

  // Members come from the users this run knows; create the shortfall (untimed) if there are too few.
  await ensureKnownUsers(ctx, groupMembers).catch(() => undefined);
  if (ctx.users.length < groupMembers) {
    const missing = groupMembers - ctx.users.length;
    notes.push(`created ${missing} extra users first (untimed) to have ${groupMembers} members`);
    await createUsers(ctx, new Recorder(), missing, concurrency, (i) => `${ctx.runId}-w5-${i}@example.com`);
  }
  const members = ctx.users.slice(0, groupMembers).map((u) => u.id);
  const batches: string[][] = [];
  for (let i = 0; i < members.length; i += groupBatch) batches.push(members.slice(i, i + groupBatch));

  const addBatches = async (groupId: string, inFlight: number, rec: Recorder): Promise<number> => {
    const started = performance.now();
    await runCount(
      batches.length,
      inFlight,
      async (i) => {
        const path = `/Groups/${groupId}`;
        const value = batches[i].map((id) => ({ value: id }));
        const r = await client.request('PATCH', path, patchBody({ op: 'add', path: 'members', value }));
        rec.record('PATCH', path, r, inFlight === 1 ? 'add-seq' : 'add-parallel');
      },
      down(ctx),
    );
    return (performance.now() - started) / 1000;
  };

  const addRec = new Recorder().start();
  const seqSeconds = await addBatches(a, 1, addRec);
  const groupB = `${ctx.runId}-group-par`;
  const b = await createGroup(groupB);
  if (typeof b !== 'string') throw new Error(`POST /Groups (second group) answered ${b.status}`);
  const parSeconds = await addBatches(b, groupInFlight, addRec);
  addRec.stop();

  // Each group must now hold exactly the members sent.
  for (const [name, id] of [
    [groupA, a],
    [groupB, b],
  ] as const) {
    const path = `/Groups/${id}?attributes=members`;
    const r = await client.request('GET', path);
    const got = parseJson<ScimGroup>(r.body)?.members ?? [];
    const gotIds = new Set(got.map((m) => m.value));
    const exact = got.length === members.length && members.every((m) => gotIds.has(m));
    addRec.record(
      'GET',
      path,
      r,
      'verify',
      check(r, exact, `expected ${members.length} members, got ${got.length}`),
    );
    notes.push(`GET ${name} with its ${fmt(got.length, 0)} members took ${fmt(r.ms)} ms`);
  }

  const seqRate = members.length / seqSeconds;
  const parRate = members.length / parSeconds;
  const add = report(`W5a add ${fmt(members.length, 0)} members in batches of ${groupBatch}`, addRec, [
    `members/s sequential ${fmt(seqRate)}`,
    `members/s ${groupInFlight} in flight ${fmt(parRate)}`,
  ]);
  add.notes.push(...notes);
  for (const o of addRec.operations()) {
    add.notes.push(`${o.op}: ${o.count} requests, p50 ${fmt(o.p50)} ms, p99 ${fmt(o.p99)} ms`);
  }
  add.goals.push(
    goal('W5 members/s (sequential)', seqRate, '>=', 10_000, '/s'),
    goal(`W5 members/s (${groupInFlight} in flight)`, parRate, '>=', 10_000, '/s'),
    goal('W5a errors', addRec.errors, '<=', 0, ''),
  );

  // Reads of the group by displayName, members excluded.
  const readPath = `/Groups?${eqFilter('displayName', groupA)}&excludedAttributes=members`;
  const readRec = new Recorder().start();
  await runFor(
    durationSeconds,
    concurrency,
    async () => {
      const r = await client.request('GET', readPath);
      const body = parseJson<ScimList<ScimGroup>>(r.body);
      const g = body?.Resources?.[0];
      const ok =
        body?.totalResults === 1 && g?.id === a && (g.members === undefined || g.members.length === 0);
      readRec.record('GET', readPath, r, 'read', check(r, ok, 'expected the one group, without members'));
    },
    down(ctx),
  );
  readRec.stop();
  const read = report('W5b GET /Groups?filter=displayName eq …&excludedAttributes=members', readRec);
  const rs = readRec.summary();
  read.goals.push(
    goal('W5 group reads/s', rs.okPerSecond, '>=', 2000, '/s'),
    goal('W5b errors', rs.errors, '<=', 0, ''),
  );
  return [add, read];
};

// ------------------------------------------------------------------------------------------------- W6

/**
 * One Okta-like provisioning pass per iteration, seven requests: look up an existing user (hit); look up a
 * new userName (miss), then create it; get it by id; PATCH name.givenName; then Okta's profile push — GET the
 * user and PUT it back whole, echoing id, meta and groups.
 */
export const w6OktaMix: Workload = async (ctx) => {
  await ensureKnownUsers(ctx, ctx.options.users);
  const existing = [...ctx.users];
  const client = ctx.client;
  const rec = new Recorder().start();
  let iterations = 0;
  let completed = 0;
  await runFor(
    ctx.options.durationSeconds,
    ctx.options.concurrency,
    async (_w, it) => {
      iterations++;
      const hit = pick(existing);
      let path = userLookupPath(hit.userName);
      let r = await client.request('GET', path);
      let list = parseJson<ScimList<ScimUser>>(r.body);
      if (!rec.record('GET', path, r, 'lookup hit', check(r, list?.totalResults === 1, 'expected 1 result')))
        return;

      const userName = `${ctx.runId}-w6-${it}@example.com`;
      path = userLookupPath(userName);
      r = await client.request('GET', path);
      list = parseJson<ScimList<ScimUser>>(r.body);
      if (
        !rec.record('GET', path, r, 'lookup miss', check(r, list?.totalResults === 0, 'expected 0 results'))
      )
        return;

      r = await client.request('POST', '/Users', newUserBody(userName, it));
      const created = parseJson<ScimUser>(r.body);
      const id = created?.id;
      if (
        !rec.record(
          'POST',
          '/Users',
          r,
          'create',
          check(r, r.status === 201 && !!id, 'expected 201 with an id'),
        )
      ) {
        return;
      }
      if (!id) return;
      ctx.createdThisRun++;
      ctx.users.push({ id, userName });

      path = `/Users/${id}`;
      r = await client.request('GET', path);
      if (!rec.record('GET', path, r, 'get')) return;

      const givenName = `Patched${it}`;
      r = await client.request(
        'PATCH',
        path,
        patchBody({ op: 'replace', path: 'name.givenName', value: givenName }),
      );
      const patched = parseJson<ScimUser>(r.body);
      const patchOk = r.status === 204 || patched?.name?.givenName === givenName;
      if (!rec.record('PATCH', path, r, 'patch', check(r, patchOk, `expected name.givenName ${givenName}`)))
        return;

      r = await client.request('GET', path);
      const current = parseJson<ScimUser>(r.body);
      if (!rec.record('GET', path, r, 'get before put', check(r, !!current, 'no body')) || !current) return;

      // Okta sends the whole user back, read-only attributes included.
      const put: ScimUser = {
        ...current,
        name: { ...current.name, familyName: `Put${it}` },
        groups: current.groups ?? [],
      };
      r = await client.request('PUT', path, put);
      const replaced = parseJson<ScimUser>(r.body);
      if (
        !rec.record(
          'PUT',
          path,
          r,
          'put',
          check(r, replaced?.name?.familyName === `Put${it}`, 'PUT not applied'),
        )
      ) {
        return;
      }
      completed++;
    },
    down(ctx),
  );
  rec.stop();
  const s = rec.summary();
  const r = report('W6 Okta-like mix (7 requests per pass)', rec, [
    `passes ${fmt(completed, 0)}/${fmt(iterations, 0)} (${fmt(completed / s.seconds)}/s)`,
  ]);
  for (const o of rec.operations()) r.notes.push(`${o.op}: p50 ${fmt(o.p50)} ms, p99 ${fmt(o.p99)} ms`);
  r.goals.push(
    goal('W6 operations/s', s.okPerSecond, '>=', 1500, '/s'),
    goal('W6 errors', s.errors, '<=', 0, ''),
  );
  return r;
};

// -------------------------------------------------------------------------------------------- prefill

/** Creates users until the directory holds `target`, as fast as the server allows; prints progress. */
export function prefill(target: number): Workload {
  return async (ctx) => {
    const before = await countUsers(ctx.client);
    const missing = target - before;
    if (missing <= 0) {
      const r = report(`prefill to ${fmt(target, 0)} users`, undefined);
      r.skipped = `the directory already holds ${fmt(before, 0)} users`;
      return r;
    }
    const rec = new Recorder().start();
    const step = 10_000;
    console.log(`prefill: creating ${fmt(missing, 0)} users (${fmt(before, 0)} → ${fmt(target, 0)})…`);
    await createUsers(
      ctx,
      rec,
      missing,
      ctx.options.prefillConcurrency,
      (i) => `${ctx.runId}-p${i}@example.com`,
      (done) => {
        if (done % step === 0 || done === missing) {
          console.log(
            `prefill: ${fmt(done, 0)} / ${fmt(missing, 0)} (${fmt(done / rec.seconds)}/s, ${fmt(rec.errors, 0)} errors)`,
          );
        }
      },
    );
    rec.stop();
    const r = report(`prefill ${fmt(missing, 0)} users, ${ctx.options.prefillConcurrency} in flight`, rec);
    r.goals.push(goal('prefill errors', rec.errors, '<=', 0, ''));
    return r;
  };
}
