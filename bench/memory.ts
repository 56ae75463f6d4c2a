// M1, memory: rounds of POST /Users bodies at the body limit, all in flight at once from one valid token,
// while GET /health is probed every 50 ms. Prints the server's peak RSS (sampled every 10 ms; needs --pid),
// whether it kept answering the probe, and the statuses of the requests.
import { performance } from 'node:perf_hooks';
import { HttpClient, type HttpResult, parseJson } from './http';
import { readRssKb, readStatusKb } from './monitor';
import { Probe, politely, serverRoot } from './probe';
import { runCount, sleep } from './runner';
import { ENTERPRISE_SCHEMA, SCIM_CONTENT_TYPE, USER_SCHEMA } from './scim';
import { fmt, goal, percentile, summarise } from './stats';
import { type Workload, report } from './workloads';

const PROBE_INTERVAL_MS = 50;
/** A probe that gets no answer within this long counts as a failure: the server was not answering. */
const PROBE_TIMEOUT_MS = 2000;
const RSS_SAMPLE_MS = 10;
const RSS_GOAL_MB = 350;
const PAUSE_MS = 500;
const REQUEST_TIMEOUT_MS = 60_000;

/** A body shape: a per-request head (it carries the userName) and a shared tail that fills the body limit. */
interface Shape {
  name: string;
  body: (userName: string) => Buffer;
}

/**
 * `{…,"userName":"<name>",<open>` + items + `<close>`, as many items as keep the whole within `limit` bytes
 * for a userName of `nameLength` characters.
 */
function shape(
  name: string,
  limit: number,
  nameLength: number,
  open: string,
  item: (i: number) => string,
  close: string,
): Shape {
  const head = (userName: string) => `{"schemas":["${USER_SCHEMA}"],"userName":"${userName}",${open}`;
  const budget = limit - head('x'.repeat(nameLength)).length - close.length;
  const items: string[] = [];
  let used = 0;
  for (let i = 0; ; i++) {
    const next = item(i);
    const cost = next.length + (i > 0 ? 1 : 0);
    if (used + cost > budget) break;
    items.push(next);
    used += cost;
  }
  const tail = Buffer.from(items.join(',') + close);
  return {
    name: `${name} (${fmt(items.length, 0)} per body)`,
    body: (userName) => Buffer.concat([Buffer.from(head(userName)), tail]),
  };
}

/** The id of a created resource, from the start of its JSON (it comes before the bulky attributes). */
function createdId(r: HttpResult): string | undefined {
  const m = /"id"\s*:\s*"([^"]+)"/.exec(r.body.slice(0, 4096));
  return m?.[1] ?? parseJson<{ id?: string }>(r.body)?.id;
}

export const m1Memory: Workload = async (ctx) => {
  const { bodyLimit, m1Rounds, m1Parallel } = ctx.options;
  const pid = ctx.monitor?.pid;
  const client = new HttpClient({
    baseUrl: ctx.url,
    token: ctx.token,
    maxSockets: m1Parallel,
    contentType: SCIM_CONTENT_TYPE,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  const probe = new Probe(serverRoot(ctx.url), PROBE_INTERVAL_MS, '/health', PROBE_TIMEOUT_MS);
  const userName = (round: number, i: number) =>
    `${ctx.runId}-m1-r${String(round).padStart(3, '0')}-${String(i).padStart(5, '0')}@example.com`;
  const nameLength = userName(0, 0).length;
  const shapes = [
    shape(
      'emails',
      bodyLimit,
      nameLength,
      '"emails":[',
      (i) => `{"value":"m${i}@example.com","type":"work"}`,
      ']}',
    ),
    shape(
      'enterprise extension attributes',
      bodyLimit,
      nameLength,
      `"${ENTERPRISE_SCHEMA}":{`,
      (i) => `"k${i}":"v${i}"`,
      '}}',
    ),
    // Within every input limit (at most 1,000 values of an attribute): a body the server accepts and stores.
    shape(
      'addresses the server accepts',
      bodyLimit,
      nameLength,
      '"addresses":[',
      (i) => `{"type":"work","streetAddress":"${i} ${'x'.repeat(1040)}"}`,
      ']}',
    ),
  ];

  let peakKb = 0;
  const sample = () => {
    const kb = pid !== undefined ? readRssKb(pid) : undefined;
    if (kb !== undefined && kb > peakKb) peakKb = kb;
  };
  const startKb = pid !== undefined ? readRssKb(pid) : undefined;
  const sampler = pid !== undefined ? setInterval(sample, RSS_SAMPLE_MS) : undefined;

  const samples: number[] = [];
  const statuses = new Map<string, number>();
  const roundNotes: string[] = [];
  const firstErrors: string[] = [];
  const created: string[] = [];
  let broken = 0;
  const timing = { seconds: 0 };
  try {
    probe.start();
    await sleep(300);
    const started = performance.now();
    for (let round = 0; round < m1Rounds && !client.down; round++) {
      const s = shapes[round % shapes.length];
      const bodies = Array.from({ length: m1Parallel }, (_, i) => s.body(userName(round, i)));
      const t0 = performance.now();
      const results = await Promise.all(bodies.map((b) => client.requestRaw('POST', '/Users', b)));
      const roundMs = performance.now() - t0;
      const counts = new Map<string, number>();
      for (const r of results) {
        const key = r.status === 0 ? 'no answer' : String(r.status);
        counts.set(key, (counts.get(key) ?? 0) + 1);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        samples.push(r.ms);
        if (r.status === 201) {
          const id = createdId(r);
          if (id) created.push(id);
        }
        if (r.status === 0 || r.status >= 500) {
          broken++;
          if (firstErrors.length < 5) {
            firstErrors.push(
              `POST /Users (${fmt(bodies[0].length, 0)} B) -> ${r.status === 0 ? `transport error: ${r.error ?? 'unknown'}` : `${r.status} ${r.body.slice(0, 200)}`}`,
            );
          }
        }
      }
      const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
      roundNotes.push(
        `round ${round + 1}, ${s.name}: ${[...counts].map(([k, v]) => `${k}×${v}`).join(', ')}; ` +
          `all answered in ${fmt(roundMs, 0)} ms (p50 ${fmt(percentile(sorted, 50), 0)} ms)` +
          (pid !== undefined ? `; RSS after ${fmt((readRssKb(pid) ?? 0) / 1024, 0)} MB` : ''),
      );
      await sleep(PAUSE_MS);
    }
    timing.seconds = (performance.now() - started) / 1000;
    await sleep(1000);
  } finally {
    await probe.stop();
    if (sampler) clearInterval(sampler);
    sample();
  }
  const hwmKb = pid !== undefined ? readStatusKb(pid, 'VmHWM') : undefined;

  // Untimed clean-up: users of 1 MiB each would weigh on later list workloads.
  let deleted = 0;
  await runCount(created.length, 4, async (i) => {
    const r = await politely(client, 'DELETE', `/Users/${created[i]}`);
    if (r.status === 204 || r.status === 404) deleted++;
  });
  client.close();

  const total = probe.total;
  const statusText = [...statuses].map(([k, v]) => `${k}×${v}`).join(', ');
  const out = report(
    `M1 memory: ${m1Rounds} rounds of ${m1Parallel} POST /Users of ${fmt(bodyLimit, 0)} B at once`,
    undefined,
    [
      `statuses ${statusText}`,
      ...(pid !== undefined ? [`peak RSS ${fmt(peakKb / 1024, 0)} MB`] : []),
      `probe max ${total.failures > 0 ? '≥ ' : ''}${fmt(total.maxMs, 0)} ms`,
      `probe failures ${fmt(total.failures, 0)}/${fmt(total.count, 0)}`,
    ],
  );
  out.summary = summarise(samples, broken, timing.seconds);
  out.firstErrors.push(...firstErrors);
  out.notes.push(...roundNotes);
  if (pid !== undefined) {
    out.notes.push(
      `server RSS ${fmt((startKb ?? 0) / 1024, 0)} MB before, peak ${fmt(peakKb / 1024, 0)} MB (sampled every ` +
        `${RSS_SAMPLE_MS} ms), peak since the server started (VmHWM) ${fmt((hwmKb ?? 0) / 1024, 0)} MB`,
    );
    out.goals.push(goal('M1 server peak RSS', peakKb / 1024, '<', RSS_GOAL_MB, ' MB'));
  } else {
    out.notes.push('no --pid: the server RSS was not measured');
  }
  out.notes.push(
    `probe: GET /health every ${PROBE_INTERVAL_MS} ms, a failure = no 200 within ${PROBE_TIMEOUT_MS} ms` +
      (total.firstFailure ? ` (first: ${total.firstFailure})` : ''),
    `errors in the line above = 5xx + no answer; deleted ${deleted} of the ${created.length} users M1 created (untimed)`,
  );
  out.goals.push(goal('M1 probe failures (server answering throughout)', total.failures, '<=', 0, ''));
  return out;
};
