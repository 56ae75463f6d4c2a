// N1, the noisy neighbour: integration B's userName look-ups alone, then while integration A floods the server
// the way a runaway client (or an attacker with a valid token) would — a fixed number of requests in flight,
// each sent as soon as the previous one returns, Retry-After ignored.
import { performance } from 'node:perf_hooks';
import { HttpClient, type HttpResult, isOk, parseJson, retryAfterSeconds } from './http';
import { knownUsers, politely } from './probe';
import { runFor, sleep } from './runner';
import {
  type KnownUser,
  SCIM_CONTENT_TYPE,
  type ScimList,
  type ScimUser,
  newUserBody,
  userLookupPath,
} from './scim';
import { Recorder, type WorkloadReport, fmt, goal, summarise } from './stats';
import { type Workload, phaseLoad, pick, report } from './workloads';

/** Users of B's directory the look-ups pick from (read from the directory, the shortfall created first). */
const B_USERS = 300;
/** Users of A's directory the flood's hits pick from. */
const A_USERS = 100;
/** B's look-ups under the flood start this long after the flood and stop this long before it ends. */
const FLOOD_MARGIN_S = 1;
const MAX_PROBLEMS_KEPT = 5;

interface Lookups {
  rec: Recorder;
  tooMany: number;
}

/** W2 for integration B: look up random known users by userName, `inFlight` at a time, for `seconds`. */
async function bLookups(
  client: HttpClient,
  users: KnownUser[],
  seconds: number,
  inFlight: number,
): Promise<Lookups> {
  const rec = new Recorder().start();
  let tooMany = 0;
  await runFor(
    seconds,
    inFlight,
    async () => {
      const u = pick(users);
      const path = userLookupPath(u.userName);
      const r = await client.request('GET', path);
      if (r.status === 429) tooMany++;
      const body = parseJson<ScimList<ScimUser>>(r.body);
      const hit = body?.totalResults === 1 && body.Resources?.[0]?.id === u.id;
      rec.record(
        'GET',
        path,
        r,
        'lookup',
        isOk(r.status) && !hit ? `expected exactly user ${u.id}` : undefined,
      );
    },
    () => client.down,
  );
  rec.stop();
  return { rec, tooMany };
}

/** A's flood, counted by outcome. */
class FloodTally {
  readonly samples: number[] = [];
  ok = 0;
  tooMany = 0;
  other4xx = 0;
  server5xx = 0;
  transport = 0;
  /** 429 answers without a whole-number Retry-After header. */
  tooManyWithoutRetryAfter = 0;
  retryAfterMin = Infinity;
  retryAfterMax = -Infinity;
  created = 0;
  readonly problems: string[] = [];

  add(what: string, r: HttpResult): void {
    this.samples.push(r.ms);
    if (isOk(r.status)) {
      this.ok++;
      if (r.status === 201) this.created++;
      return;
    }
    if (r.status === 429) {
      this.tooMany++;
      const s = retryAfterSeconds(r);
      if (s === undefined) {
        this.tooManyWithoutRetryAfter++;
        this.keep(`${what} -> 429 with Retry-After ${JSON.stringify(r.headers?.['retry-after'] ?? null)}`);
      } else {
        this.retryAfterMin = Math.min(this.retryAfterMin, s);
        this.retryAfterMax = Math.max(this.retryAfterMax, s);
      }
      return;
    }
    if (r.status === 0) this.transport++;
    else if (r.status >= 500) this.server5xx++;
    else this.other4xx++;
    this.keep(
      `${what} -> ${r.status === 0 ? `transport error: ${r.error ?? 'unknown'}` : `${r.status} ${r.body.slice(0, 200)}`}`,
    );
  }

  private keep(problem: string): void {
    if (this.problems.length < MAX_PROBLEMS_KEPT) this.problems.push(problem);
  }
}

export const n1NoisyNeighbour: Workload = async (ctx) => {
  const { durationSeconds, floodSeconds, floodInFlight, neighbourInFlight } = ctx.options;
  if (!ctx.tokenB) {
    const r = report('N1 noisy neighbour', undefined);
    r.skipped = 'needs a second integration: --token-b (or ROLLCALL_BENCH_TOKEN_B; --setup-from prints it)';
    return r;
  }
  if (ctx.tokenB === ctx.token)
    throw new Error('--token-b is the same token as --token: B must be another integration');
  const clientB = new HttpClient({
    baseUrl: ctx.url,
    token: ctx.tokenB,
    maxSockets: neighbourInFlight,
    contentType: SCIM_CONTENT_TYPE,
  });
  const flood = new HttpClient({
    baseUrl: ctx.url,
    token: ctx.token,
    maxSockets: floodInFlight,
    contentType: SCIM_CONTENT_TYPE,
  });
  try {
    const check = await politely(clientB, 'GET', '/Users?count=0');
    if (!isOk(check.status)) {
      throw new Error(`integration B: GET /Users?count=0 answered ${check.status || check.error}`);
    }
    const bUsers = await knownUsers(clientB, B_USERS, (i) => `${ctx.runId}-n1b-${i}@example.com`);
    const aUsers =
      ctx.users.length > 0
        ? ctx.users.slice(0, A_USERS)
        : await knownUsers(ctx.client, A_USERS, (i) => `${ctx.runId}-n1a-${i}@example.com`);

    // Untimed warm-up of B's connections and look-up path.
    await runFor(1, neighbourInFlight, async () => {
      await clientB.request('GET', userLookupPath(pick(bUsers).userName));
    });

    // Phase 1: B alone.
    let load = phaseLoad(ctx);
    const alone = await bLookups(clientB, bUsers, durationSeconds, neighbourInFlight);
    const aloneLoad = load();
    await sleep(1000);

    // Phase 2: A floods; B's look-ups run inside the flood's window.
    load = phaseLoad(ctx);
    const tally = new FloodTally();
    const floodStarted = performance.now();
    const serverGone = () => clientB.down && flood.down;
    const flooding = runFor(
      floodSeconds,
      floodInFlight,
      async (_w, it) => {
        // One request in four creates a user, the others look one up (half hits, half misses); the next
        // request goes out as soon as this one returns, whatever it answered.
        if (it % 4 === 3) {
          const userName = `${ctx.runId}-n1flood-${it}@example.com`;
          tally.add('POST /Users', await flood.request('POST', '/Users', newUserBody(userName, it)));
        } else {
          const userName = it % 2 === 0 ? pick(aUsers).userName : `${ctx.runId}-n1miss-${it}@example.com`;
          tally.add('GET /Users?filter=userName eq …', await flood.request('GET', userLookupPath(userName)));
        }
      },
      serverGone,
    );
    const margin = Math.min(FLOOD_MARGIN_S, floodSeconds / 4);
    await sleep(margin * 1000);
    const under = await bLookups(clientB, bUsers, Math.max(1, floodSeconds - 2 * margin), neighbourInFlight);
    await flooding;
    const floodSecondsTaken = (performance.now() - floodStarted) / 1000;
    const underLoad = load();
    ctx.createdThisRun += tally.created;

    // Reports: B alone, B under the flood, A's flood.
    const a = alone.rec.summary();
    const b = under.rec.summary();
    const aloneReport: WorkloadReport = {
      ...report(`N1 B alone: userName eq look-ups, ${neighbourInFlight} in flight`, alone.rec),
      ...aloneLoad,
    };
    aloneReport.notes.push(
      `integration B (another tenant), ${fmt(bUsers.length, 0)} known users, ${durationSeconds} s`,
    );
    if (alone.tooMany > 0) aloneReport.notes.push(`${fmt(alone.tooMany, 0)} answers were 429`);

    const bErrors = b.errors - under.tooMany;
    const underReport: WorkloadReport = {
      ...report(`N1 B under A's flood: same look-ups, ${neighbourInFlight} in flight`, under.rec, [
        `429s ${fmt(under.tooMany, 0)}`,
        `other errors ${fmt(bErrors, 0)}`,
        `p99 ${fmt(b.p99 / a.p99, 1)}× alone`,
      ]),
      ...underLoad,
    };
    underReport.goals.push(
      goal('N1 B p99 under flood (≤ 2× alone)', b.p99, '<=', 2 * a.p99, ' ms'),
      goal('N1 B 429s under flood', under.tooMany, '<=', 0, ''),
      goal('N1 B errors under flood', bErrors, '<=', 0, ''),
    );

    const floodSummary = summarise(tally.samples, tally.server5xx + tally.transport, floodSecondsTaken);
    const retryAfter =
      tally.tooMany === 0
        ? 'no 429 to carry it'
        : tally.tooManyWithoutRetryAfter === 0
          ? `on every 429 (${fmt(tally.retryAfterMin, 0)}–${fmt(tally.retryAfterMax, 0)} s)`
          : `missing or not a whole number on ${fmt(tally.tooManyWithoutRetryAfter, 0)} of ${fmt(tally.tooMany, 0)}`;
    const floodReport: WorkloadReport = {
      ...report(`N1 A flood: ${floodInFlight} in flight, ${floodSeconds} s, Retry-After ignored`, undefined, [
        `2xx ${fmt(tally.ok, 0)} (${fmt(tally.ok / floodSecondsTaken)}/s)`,
        `429 ${fmt(tally.tooMany, 0)}`,
        `other 4xx ${fmt(tally.other4xx, 0)}`,
        `5xx ${fmt(tally.server5xx, 0)}`,
        `transport errors ${fmt(tally.transport, 0)}`,
      ]),
      summary: floodSummary,
      firstErrors: tally.problems,
      ...underLoad,
    };
    floodReport.notes.push(
      `integer Retry-After: ${retryAfter}`,
      `a mix of 3 look-ups (half hits, half misses) to 1 create; ${fmt(tally.created, 0)} users created; ` +
        `errors in the line above = 5xx + transport errors (429 is the expected answer)`,
      `B's look-ups ran from ${fmt(margin, 0)} s after the flood started to ${fmt(margin, 0)} s before it ended`,
    );
    floodReport.goals.push(
      goal('N1 A 429s', tally.tooMany, '>=', 1, ''),
      goal('N1 A 429s without integer Retry-After', tally.tooManyWithoutRetryAfter, '<=', 0, ''),
      goal('N1 A 5xx', tally.server5xx, '<=', 0, ''),
    );
    return [aloneReport, underReport, floodReport];
  } finally {
    clientB.close();
    flood.close();
  }
};
