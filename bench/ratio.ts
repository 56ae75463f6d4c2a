// Ratio mode (`npm run bench -- --bare …`): the same workloads against Rollcall and against the bare server
// (bench/bare-server.ts: node:http + pg, one SQL statement per request, on the same PostgreSQL), alternating,
// round after round; prints each server's figures and Rollcall's throughput as a fraction of the bare server's.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { type HttpClient, isOk, parseJson } from './http';
import { ClientCpu, MachineCpu, type ServerMonitor, type Window } from './monitor';
import { runCount, runFor } from './runner';
import { GROUP_SCHEMA, type ScimGroup, newRunId, patchBody, userLookupPath } from './scim';
import { Recorder, type WorkloadReport, fmt, printTable } from './stats';
import {
  type BenchContext,
  createUsers,
  ensureKnownUsers,
  w1Create,
  w2Lookup,
  w3ActiveToggle,
  w6OktaMix,
} from './workloads';

export const RATIO_WORKLOADS = ['W1', 'W2', 'W3', 'W5', 'W6'] as const;
export type RatioId = (typeof RATIO_WORKLOADS)[number];

/** The goals: Rollcall's throughput as a fraction of the bare server's (median of rounds), W2's p99. */
const GOALS: Record<RatioId, { what: string; min: number; p99Max?: number }> = {
  W1: { what: 'W1 POST /Users', min: 0.6 },
  W2: { what: 'W2 userName eq look-ups', min: 0.75, p99Max: 25 },
  W3: { what: 'W3 PATCH active', min: 0.6 },
  W5: { what: 'W5 group reads (?attributes=members)', min: 0.75 },
  W6: { what: 'W6 Okta-like mix', min: 0.65 },
};

export interface RatioTarget {
  name: string;
  client: HttpClient;
  url: string;
  token: string;
  /** The server's own process: its RSS and CPU. */
  monitor?: ServerMonitor;
}

export interface RatioOptions {
  rollcall: RatioTarget;
  bare: RatioTarget;
  /** Rollcall's monitor also sees the embedded PostgreSQL (its descendants): CPU of every backend, the bare server's too. */
  postgresMonitor?: ServerMonitor;
  /** Where the bare server connects, for the header (password redacted). */
  bareDatabase: string;
  only: RatioId[];
  rounds: number;
  warmupSeconds: number;
  bench: BenchContext['options'];
  rssGoalMb: number;
}

/** One workload, one server, one round. */
interface Sample {
  okPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  firstErrors: string[];
  /** ms of CPU per request: the server process, and PostgreSQL (all its backends). */
  serverCpuMs?: number;
  postgresCpuMs?: number;
  machineCpuPercent?: number;
  benchCpuPercent?: number;
  /** The machine's CPU not used by the server, PostgreSQL or the benchmark: other load, which skews figures. */
  otherCpuPercent?: number;
  /** Set-up figures printed with the round (W5: members/s while building the group). */
  extra?: string;
  skipped?: string;
}

// --------------------------------------------------------------------------------------------- W5

interface GroupState {
  groupId: string;
  members: string[];
  membersPerSecond: number;
  rec: Recorder;
}

/**
 * W5's set-up, untimed for the ratio: a new group, `--group-members` members added by PATCH in batches of
 * `--group-batch` (`--group-inflight` in flight), then checked with one GET ?attributes=members.
 */
async function buildGroup(ctx: BenchContext): Promise<GroupState | string> {
  const { groupMembers, groupBatch, groupInFlight, concurrency } = ctx.options;
  const client = ctx.client;
  const rec = new Recorder().start();
  const r = await client.request('POST', '/Groups', {
    schemas: [GROUP_SCHEMA],
    displayName: `${ctx.runId}-group`,
    members: [],
  });
  const groupId = parseJson<ScimGroup>(r.body)?.id;
  if (
    !rec.record(
      'POST',
      '/Groups',
      r,
      'create',
      r.status === 201 && groupId ? undefined : 'expected 201 with an id',
    )
  )
    return `POST /Groups answered ${r.status}: ${(r.body || r.error || '').slice(0, 200)}`;
  if (!groupId) return 'POST /Groups: no id';

  await ensureKnownUsers(ctx, groupMembers).catch(() => undefined);
  if (ctx.users.length < groupMembers) {
    const missing = groupMembers - ctx.users.length;
    await createUsers(ctx, new Recorder(), missing, concurrency, (i) => `${ctx.runId}-w5-${i}@example.com`);
  }
  const members = ctx.users.slice(0, groupMembers).map((u) => u.id);
  const batches: string[][] = [];
  for (let i = 0; i < members.length; i += groupBatch) batches.push(members.slice(i, i + groupBatch));
  const path = `/Groups/${groupId}`;
  const started = performance.now();
  await runCount(
    batches.length,
    groupInFlight,
    async (i) => {
      const value = batches[i].map((id) => ({ value: id }));
      const res = await client.request('PATCH', path, patchBody({ op: 'add', path: 'members', value }));
      rec.record('PATCH', path, res, 'add');
    },
    () => client.down,
  );
  const membersPerSecond = members.length / ((performance.now() - started) / 1000);
  const check = await client.request('GET', `${path}?attributes=members`);
  rec.record('GET', path, check, 'verify', membersProblem(check.body, new Set(members)));
  rec.stop();
  return { groupId, members, membersPerSecond, rec };
}

/** Why a group read is not exactly the expected members, or undefined. */
function membersProblem(body: string, expected: ReadonlySet<string>): string | undefined {
  const got = parseJson<ScimGroup>(body)?.members ?? [];
  if (got.length !== expected.size) return `expected ${expected.size} members, got ${got.length}`;
  return got.every((m) => expected.has(m.value)) ? undefined : 'unexpected members';
}

/** W5's measured part: GET /Groups/<id>?attributes=members of the group just built, for --duration. */
async function readGroup(ctx: BenchContext, g: GroupState): Promise<WorkloadReport> {
  const expected = new Set(g.members);
  const path = `/Groups/${g.groupId}?attributes=members`;
  const rec = new Recorder().start();
  await runFor(
    ctx.options.durationSeconds,
    ctx.options.concurrency,
    async () => {
      const r = await ctx.client.request('GET', path);
      rec.record('GET', path, r, 'read', isOk(r.status) ? membersProblem(r.body, expected) : undefined);
    },
    () => ctx.client.down,
  );
  rec.stop();
  return {
    name: 'W5 reads',
    summary: rec.summary(),
    extras: [],
    goals: [],
    notes: [],
    firstErrors: [...rec.firstErrors],
  };
}

// ----------------------------------------------------------------------------------------- running

/** Other processes' CPU (% of one core) above which a round's line says the machine was busy. */
const OTHER_LOAD_WARNING = 25;

const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

function cpuMsPerRequest(w: Window | undefined, percent: keyof Window, requests: number): number | undefined {
  if (!w || requests === 0) return undefined;
  return ((w[percent] / 100) * w.wallSeconds * 1000) / requests;
}

async function runOne(
  id: RatioId,
  target: RatioTarget,
  ctx: BenchContext,
  postgresMonitor: ServerMonitor | undefined,
): Promise<Sample> {
  const empty = (skipped: string): Sample => ({
    okPerSecond: NaN,
    p50: NaN,
    p99: NaN,
    requests: 0,
    errors: 0,
    firstErrors: [],
    skipped,
  });
  if (ctx.client.down) return empty('not run: the server stopped answering');
  let group: GroupState | undefined;
  if (id === 'W5') {
    const built = await buildGroup(ctx).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
    if (typeof built === 'string') return empty(`W5 set-up failed: ${built}`);
    group = built;
  }

  const separatePostgres =
    postgresMonitor && postgresMonitor !== target.monitor ? postgresMonitor : undefined;
  const bench = new ClientCpu();
  const machine = new MachineCpu();
  target.monitor?.beginWindow();
  separatePostgres?.beginWindow();
  bench.begin();
  machine.begin();
  let report: WorkloadReport | undefined;
  let failure: string | undefined;
  try {
    const r =
      id === 'W1'
        ? await w1Create(ctx)
        : id === 'W2'
          ? await w2Lookup()(ctx)
          : id === 'W3'
            ? await w3ActiveToggle(ctx)
            : id === 'W5'
              ? await readGroup(ctx, group as GroupState)
              : await w6OktaMix(ctx);
    report = Array.isArray(r) ? r[0] : r;
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  const benchCpu = bench.percent();
  const machineCpu = machine.percent();
  const own = target.monitor?.endWindow();
  const pg = separatePostgres ? separatePostgres.endWindow() : own;
  if (failure || !report?.summary) return empty(`failed: ${failure ?? report?.skipped ?? 'no figures'}`);

  const s = report.summary;
  const setupErrors = group ? group.rec.errors : 0;
  return {
    okPerSecond: s.okPerSecond,
    p50: s.p50,
    p99: s.p99,
    requests: s.requests,
    errors: s.errors + setupErrors,
    firstErrors: [...(group?.rec.firstErrors ?? []), ...report.firstErrors].slice(0, 5),
    serverCpuMs: cpuMsPerRequest(own, 'cpuPercent', s.requests),
    postgresCpuMs: cpuMsPerRequest(pg, 'childrenCpuPercent', s.requests),
    machineCpuPercent: machineCpu,
    benchCpuPercent: benchCpu,
    otherCpuPercent:
      machineCpu !== undefined && own && pg
        ? machineCpu - own.cpuPercent - pg.childrenCpuPercent - benchCpu
        : undefined,
    extra: group
      ? `set-up: ${fmt(group.members.length, 0)} members at ${fmt(group.membersPerSecond)}/s`
      : undefined,
  };
}

function formatCpu(server?: number, postgres?: number): string {
  if (server === undefined || !Number.isFinite(server)) return 'n/a';
  return postgres === undefined || !Number.isFinite(postgres)
    ? `${fmt(server, 2)} ms`
    : `${fmt(server, 2)} + ${fmt(postgres, 2)} ms`;
}

function printSample(round: number, id: RatioId, target: string, s: Sample): void {
  const head = `round ${round}  ${id}  ${target.padEnd(8)}`;
  if (s.skipped) {
    console.log(`${head}  skipped: ${s.skipped}`);
  } else {
    const parts = [
      `${fmt(s.okPerSecond).padStart(7)}/s`,
      `p50 ${fmt(s.p50)} ms`,
      `p99 ${fmt(s.p99)} ms`,
      `errors ${fmt(s.errors, 0)}`,
      `cpu/req ${formatCpu(s.serverCpuMs, s.postgresCpuMs)} (server + postgres)`,
    ];
    if (s.benchCpuPercent !== undefined) parts.push(`bench cpu ${fmt(s.benchCpuPercent, 0)}%`);
    if (s.machineCpuPercent !== undefined) parts.push(`machine cpu ${fmt(s.machineCpuPercent, 0)}%`);
    if (s.otherCpuPercent !== undefined) {
      parts.push(
        `other cpu ${fmt(s.otherCpuPercent, 0)}%${s.otherCpuPercent >= OTHER_LOAD_WARNING ? ' (busy machine)' : ''}`,
      );
    }
    if (s.extra) parts.push(s.extra);
    console.log(`${head}  ${parts.join(' | ')}`);
  }
  for (const e of s.firstErrors) console.log(`      ${e}`);
}

async function checkTarget(t: RatioTarget, warmupSeconds: number, concurrency: number): Promise<void> {
  const r = await t.client.request('GET', '/Users?count=0');
  if (r.status === 0) throw new Error(`cannot reach ${t.name} at ${t.url}: ${r.error}`);
  if (r.status === 401 || r.status === 403) throw new Error(`${t.name} rejected the token (${r.status})`);
  if (!isOk(r.status))
    throw new Error(`${t.name}: GET /Users?count=0 answered ${r.status}: ${r.body.slice(0, 200)}`);
  if (warmupSeconds > 0) {
    const miss = userLookupPath('warmup-nobody@example.com');
    await runFor(warmupSeconds, concurrency, async () => {
      await t.client.request('GET', miss);
    });
  }
}

export async function runRatio(o: RatioOptions): Promise<void> {
  const targets = [o.rollcall, o.bare];
  const baseRunId = newRunId();
  const contexts = targets.map((t): BenchContext => ({
    client: t.client,
    url: t.url,
    token: t.token,
    options: o.bench,
    runId: baseRunId,
    users: [],
    createdThisRun: 0,
  }));
  const ids = RATIO_WORKLOADS.filter((id) => o.only.includes(id));
  const b = o.bench;
  console.log(
    `Rollcall vs bare node:http + pg — run ${baseRunId}\n` +
      `Rollcall ${o.rollcall.url}${o.rollcall.monitor ? ` (pid ${o.rollcall.monitor.pid})` : ''}\n` +
      `bare     ${o.bare.url}${o.bare.monitor ? ` (pid ${o.bare.monitor.pid})` : ''}, one SQL statement per request, ${o.bareDatabase}\n` +
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, ` +
      `node ${process.version}, ${os.platform()} ${os.release()}\n` +
      `${o.rounds} rounds, each workload on both servers in turn (who goes first alternates by round); ` +
      `${ids.join(',')}; concurrency ${b.concurrency}, ${b.durationSeconds} s per timed workload, ` +
      `W1 ${fmt(b.users, 0)} users per round, W5 groups of ${fmt(b.groupMembers, 0)} members`,
  );
  o.rollcall.monitor?.start();
  if (o.bare.monitor && o.bare.monitor !== o.rollcall.monitor) o.bare.monitor.start();
  for (const t of targets) await checkTarget(t, o.warmupSeconds, b.concurrency);
  console.log(o.warmupSeconds > 0 ? `both servers warmed up ${o.warmupSeconds} s` : '');
  // Without W1, W2, W3 and W6 work on the first --users users of each directory: create what is missing
  // (untimed), so that a fresh bare server has as many to pick from as Rollcall.
  if (!ids.includes('W1') && ids.some((id) => id !== 'W5')) {
    for (const [i, ctx] of contexts.entries()) {
      await ensureKnownUsers(ctx, b.users).catch(() => undefined);
      const missing = b.users - ctx.users.length;
      if (missing <= 0) continue;
      const rec = new Recorder();
      await createUsers(ctx, rec, missing, b.concurrency, (n) => `${baseRunId}-pre-${n}@example.com`);
      console.log(
        `${targets[i].name}: created ${fmt(missing, 0)} users first (untimed, ${fmt(rec.errors, 0)} errors)`,
      );
    }
  }
  console.log('');

  const samples = new Map<RatioId, Sample[][]>(ids.map((id) => [id, [[], []]]));
  for (let round = 1; round <= o.rounds; round++) {
    for (const ctx of contexts) ctx.runId = `${baseRunId}-r${round}`;
    const order = round % 2 === 1 ? [0, 1] : [1, 0];
    for (const id of ids) {
      for (const i of order) {
        const s = await runOne(id, targets[i], contexts[i], o.postgresMonitor);
        samples.get(id)?.[i].push(s);
        printSample(round, id, targets[i].name, s);
      }
    }
  }
  o.rollcall.monitor?.stop();
  o.bare.monitor?.stop();

  // ------------------------------------------------------------------------------------------ table
  console.log('');
  const rows: string[][] = [];
  let rollcallErrors = 0;
  let bareErrors = 0;
  let skipped = 0;
  for (const id of ids) {
    const [rs, bs] = samples.get(id) ?? [[], []];
    const g = GOALS[id];
    const ratios = rs.map((r, k) => r.okPerSecond / (bs[k]?.okPerSecond ?? NaN));
    const ratio = median(ratios);
    const rP99 = median(rs.map((s) => s.p99));
    const errR = rs.reduce((a, s) => a + s.errors, 0);
    const errB = bs.reduce((a, s) => a + s.errors, 0);
    rollcallErrors += errR;
    bareErrors += errB;
    skipped += [...rs, ...bs].filter((s) => s.skipped).length;
    const pass =
      Number.isFinite(ratio) &&
      ratio >= g.min &&
      (g.p99Max === undefined || (Number.isFinite(rP99) && rP99 <= g.p99Max));
    const cpu = (ss: Sample[]) =>
      formatCpu(median(ss.map((s) => s.serverCpuMs ?? NaN)), median(ss.map((s) => s.postgresCpuMs ?? NaN)));
    rows.push([
      g.what,
      `${fmt(median(rs.map((s) => s.okPerSecond)))}/s`,
      `${fmt(rP99)} ms`,
      `${fmt(median(bs.map((s) => s.okPerSecond)))}/s`,
      `${fmt(median(bs.map((s) => s.p99)))} ms`,
      Number.isFinite(ratio) ? `${fmt(ratio, 2)}×` : 'n/a',
      ratios.map((x) => (Number.isFinite(x) ? fmt(x, 2) : '–')).join(' '),
      `${fmt(errR, 0)} / ${fmt(errB, 0)}`,
      cpu(rs),
      cpu(bs),
      `≥ ${fmt(g.min, 2)}×${g.p99Max !== undefined ? `, p99 ≤ ${g.p99Max} ms` : ''}`,
      pass ? 'PASS' : 'MISS',
    ]);
  }
  console.log(
    `Rollcall / bare, median of ${o.rounds} round${o.rounds === 1 ? '' : 's'} (req/s and p99: median of the rounds; errors: all rounds; ` +
      'cpu/req: server process + PostgreSQL, ms of CPU per request)',
  );
  printTable(
    [
      'workload',
      'Rollcall',
      'p99',
      'bare',
      'p99',
      'ratio',
      'per round',
      'errors R / bare',
      'cpu/req Rollcall',
      'cpu/req bare',
      'goal',
      'result',
    ],
    rows,
  );
  console.log('');
  console.log(
    `errors: Rollcall ${fmt(rollcallErrors, 0)} (goal 0) ${rollcallErrors === 0 && skipped === 0 ? 'PASS' : 'MISS'}; ` +
      `bare ${fmt(bareErrors, 0)}`,
  );
  if (o.rollcall.monitor) {
    const peak = o.rollcall.monitor.peakRssMb;
    console.log(
      `Rollcall peak RSS ${fmt(peak, 0)} MB over the whole run (pid ${o.rollcall.monitor.pid}) ` +
        `(goal < ${o.rssGoalMb} MB) ${peak < o.rssGoalMb ? 'PASS' : 'MISS'}`,
    );
    if (o.rollcall.monitor.lastError) console.log(`    note: ${o.rollcall.monitor.lastError}`);
  } else {
    console.log('Rollcall peak RSS: not measured (pass --pid)');
  }
  if (o.bare.monitor)
    console.log(`bare server peak RSS ${fmt(o.bare.monitor.peakRssMb, 0)} MB (pid ${o.bare.monitor.pid})`);
  if (bareErrors > 0) {
    console.log('warning: the bare server had errors: its figures are not a fair yardstick for this run');
  }
  if (skipped > 0) console.log(`warning: ${skipped} workload runs were skipped or failed (see above)`);
  const all = [...samples.values()].flatMap(([rs, bs]) => [...rs, ...bs]);
  const busy = all.filter((s) => (s.otherCpuPercent ?? 0) >= OTHER_LOAD_WARNING).length;
  if (busy > 0) {
    console.log(
      `note: other processes used ≥ ${OTHER_LOAD_WARNING}% CPU in ${busy} of ${all.length} runs ('busy machine' above): ` +
        'the ratios are noisier than on an idle machine',
    );
  }
}
