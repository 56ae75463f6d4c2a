// H1, hostile input: for each SCIM path, the costliest request that fits the server's body limit (or, for
// GETs, its URL limit), sent one at a time with a valid token, while a probe on its own connection asks
// GET /health every 5 ms. Prints each request's server time and the probe's longest wait during it.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { HttpClient, type HttpResult, type Method, isOk, parseJson } from './http';
import { Probe, type ProbeWindow, jsonBody, knownUsers, politely, serverRoot } from './probe';
import { sleep } from './runner';
import {
  ENTERPRISE_SCHEMA,
  GROUP_SCHEMA,
  PATCH_SCHEMA,
  SCIM_CONTENT_TYPE,
  SEARCH_SCHEMA,
  USER_SCHEMA,
  newUserBody,
} from './scim';
import { type WorkloadReport, fmt, goal, summarise } from './stats';
import { type Workload, report } from './workloads';

/** Goal for each request's server time and for the probe's longest wait, ms. */
const GOAL_MS = 250;
const PROBE_INTERVAL_MS = 5;
/** The probe window stays open this long after the answer: work the server does after answering counts. */
const TAIL_MS = 100;
/**
 * Longest request target a GET is built to: Node's HTTP server refuses request lines and headers above 16 KiB
 * in all (431) unless started with --max-http-header-size; the rest of the headers fit in the remaining KiB.
 */
const URL_BUDGET = 15 * 1024;
/** A hostile request unanswered after this long is given up (the goal is 250 ms: 10 s says enough). */
const REQUEST_TIMEOUT_MS = 10_000;
/** After a request that got no answer, wait at most this long for GET /health to answer again. */
const RECOVERY_S = 180;
/** H1 starts no new request after this long; every request is bounded by the timeout and recovery above. */
const DEADLINE_S = 600;
/** Users whose ids the member lists use (read from the directory or created first, untimed). */
const MEMBER_USERS = 500;
/** Bisection steps for the largest accepted size when the server refuses the largest that fits. */
const BISECT_STEPS = 20;
const UNKNOWN_IDS = 32_768;

interface HostileCase {
  name: string;
  /** What n counts. */
  unit: string;
  method: Method;
  /** The request path for size n (a GET carries the hostile part in its query). */
  path: (n: number) => string;
  /** The JSON body for size n, as text (nested deeper than JSON.stringify could go). */
  body?: (n: number) => string;
  /** Send once at this size: no largest-that-fits search, no bisection. */
  fixed?: number;
  /** The request creates a resource (deleted when H1 ends). */
  creates?: 'Users' | 'Groups';
}

interface Row {
  name: string;
  n: number;
  unit: string;
  bytes: number;
  status: number;
  serverMs: number;
  probe: ProbeWindow;
  retries: number;
  answer: string;
  /** No answer: ms from giving up until GET /health answered again (undefined: it never did). */
  recoveryMs?: number;
}

/** n items joined by sep. */
function join(n: number, sep: string, item: (i: number) => string): string {
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) parts[i] = item(i);
  return parts.join(sep);
}

/** The largest n ≥ 1 with size(n) ≤ limit (0 when even 1 does not fit), for a size that grows with n. */
function largestFitting(size: (n: number) => number, limit: number): number {
  if (size(1) > limit) return 0;
  let lo = 1;
  let hi = 2;
  while (size(hi) <= limit) {
    lo = hi;
    hi *= 2;
    if (hi > 1e8) return lo;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (size(mid) <= limit) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** A JSON string literal. */
const str = (s: string): string => JSON.stringify(s);

/** `base` with the case of its letters flipped by the bits of i; every fourth one is `base` itself. */
function caseVariant(base: string, i: number): string {
  if (i % 4 === 0) return base;
  let out = '';
  let bit = 0;
  for (const ch of base) {
    if (/[a-z]/.test(ch)) out += (i >> (bit++ % 30)) & 1 ? ch.toUpperCase() : ch;
    else out += ch;
  }
  return out;
}

function patch(operations: string): string {
  return `{"schemas":["${PATCH_SCHEMA}"],"Operations":[${operations}]}`;
}

function search(fields: string): string {
  return `{"schemas":["${SEARCH_SCHEMA}"],${fields},"count":100}`;
}

const distinctEmail = (i: number): string => `{"value":"e${i}@example.com","type":"work"}`;
const casedEmail = (i: number): string =>
  `{"value":"${caseVariant('first.last@example.com', i)}","type":"work","primary":true}`;
const ATTRIBUTE_NAMES = [
  'userName',
  'emails.value',
  'name.givenName',
  `${ENTERPRISE_SCHEMA}:department`,
  'groups',
  'meta.lastModified',
];
const attributeName = (i: number): string =>
  i % 7 === 6 ? `x${i}` : ATTRIBUTE_NAMES[i % ATTRIBUTE_NAMES.length];
const anyOf = (i: number): string =>
  [`userName eq "u${i}"`, `emails.value co "x${i}"`, `name.givenName sw "g${i}"`, `externalId eq "e${i}"`][
    i % 4
  ];

interface Targets {
  runId: string;
  bodyLimit: number;
  user: { id: string; userName: string };
  group?: { id: string; displayName: string };
  memberIds: string[];
  unknownIds: string[];
}

function hostileCases(t: Targets): HostileCase[] {
  let seq = 0;
  const userName = () => `${t.runId}-h1-${String(seq++).padStart(6, '0')}@example.com`;
  const groupName = () => `${t.runId}-h1-g${String(seq++).padStart(6, '0')}`;
  const newUser = (fields: string) => `{"schemas":["${USER_SCHEMA}"],"userName":"${userName()}",${fields}}`;
  const sameUser = (fields: string) =>
    `{"schemas":["${USER_SCHEMA}"],"userName":"${t.user.userName}",${fields}}`;
  const member = (i: number) => `{"value":"${t.memberIds[i % t.memberIds.length]}"}`;
  const unknownMember = (i: number) => `{"value":"${t.unknownIds[i % t.unknownIds.length]}"}`;
  const userPath = `/Users/${t.user.id}`;
  const get = (resource: string, query: string) => `/${resource}?${query}`;
  const filter = (f: string) => `filter=${encodeURIComponent(f)}`;

  const users: HostileCase[] = [
    {
      name: 'POST /Users: emails, all distinct',
      unit: 'emails',
      method: 'POST',
      path: () => '/Users',
      body: (n) => newUser(`"emails":[${join(n, ',', distinctEmail)}]`),
      creates: 'Users',
    },
    {
      name: 'POST /Users: one email in many casings, all primary',
      unit: 'emails',
      method: 'POST',
      path: () => '/Users',
      body: (n) => newUser(`"emails":[${join(n, ',', casedEmail)}]`),
      creates: 'Users',
    },
    {
      name: 'PUT /Users/:id: emails, all distinct',
      unit: 'emails',
      method: 'PUT',
      path: () => userPath,
      body: (n) => sameUser(`"emails":[${join(n, ',', distinctEmail)}]`),
    },
    {
      name: 'PUT /Users/:id: one email in many casings, all primary',
      unit: 'emails',
      method: 'PUT',
      path: () => userPath,
      body: (n) => sameUser(`"emails":[${join(n, ',', casedEmail)}]`),
    },
    {
      name: 'POST /Users: extension object nested n deep',
      unit: 'levels',
      method: 'POST',
      path: () => '/Users',
      body: (n) => newUser(`"urn:example:bench:deep":${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
      creates: 'Users',
    },
    {
      name: 'POST /Users: arrays nested n deep',
      unit: 'levels',
      method: 'POST',
      path: () => '/Users',
      body: (n) => newUser(`"nested":${'['.repeat(n)}${']'.repeat(n)}`),
      creates: 'Users',
    },
    {
      name: 'POST /Users: enterprise extension, n attributes',
      unit: 'attributes',
      method: 'POST',
      path: () => '/Users',
      body: (n) => newUser(`"${ENTERPRISE_SCHEMA}":{${join(n, ',', (i) => `"k${i}":"v"`)}}`),
      creates: 'Users',
    },
    {
      name: 'POST /Users: n unknown top-level attributes',
      unit: 'attributes',
      method: 'POST',
      path: () => '/Users',
      body: (n) => newUser(join(n, ',', (i) => `"a${i}":1`)),
      creates: 'Users',
    },
    {
      name: 'POST /Users: n unknown extension URNs',
      unit: 'URNs',
      method: 'POST',
      path: () => '/Users',
      body: (n) => newUser(join(n, ',', (i) => `"urn:example:bench:x${i}":{"v":1}`)),
      creates: 'Users',
    },
    {
      name: 'POST /Users: schemas lists n URNs',
      unit: 'URNs',
      method: 'POST',
      path: () => '/Users',
      body: (n) =>
        `{"schemas":["${USER_SCHEMA}",${join(n, ',', (i) => `"urn:example:bench:s${i}"`)}],"userName":"${userName()}"}`,
      creates: 'Users',
    },
    {
      name: 'PATCH /Users/:id: n add/remove operations on emails',
      unit: 'operations',
      method: 'PATCH',
      path: () => userPath,
      // Two adds and one remove (of an address added just before): the list grows, every remove finds its
      // address by a value filter.
      body: (n) =>
        patch(
          join(n, ',', (k) => {
            const j = Math.floor(k / 3);
            return k % 3 === 2
              ? `{"op":"remove","path":${str(`emails[value eq "p${2 * j}@example.com"]`)}}`
              : `{"op":"add","path":"emails","value":[{"value":"p${2 * j + (k % 3)}@example.com","type":"work"}]}`;
          }),
        ),
    },
    {
      name: 'PATCH /Users/:id: remove by a value filter of n or terms',
      unit: 'terms',
      method: 'PATCH',
      path: () => userPath,
      body: (n) =>
        patch(
          // The last term matches every address, so the remove always has a target.
          `{"op":"remove","path":${str(`emails[${join(n - 1, ' or ', (i) => `value eq "a${i}@example.com"`)}${n > 1 ? ' or ' : ''}value pr]`)}}`,
        ),
    },
    {
      name: 'PATCH /Users/:id: replace without path, n emails',
      unit: 'emails',
      method: 'PATCH',
      path: () => userPath,
      body: (n) => patch(`{"op":"replace","value":{"emails":[${join(n, ',', distinctEmail)}]}}`),
    },
  ];

  const groups: HostileCase[] = [];
  if (t.group) {
    const g = t.group;
    const groupPath = `/Groups/${g.id}`;
    groups.push(
      {
        name: 'POST /Groups: n members, known users (repeated)',
        unit: 'members',
        method: 'POST',
        path: () => '/Groups',
        body: (n) =>
          `{"schemas":["${GROUP_SCHEMA}"],"displayName":"${groupName()}","members":[${join(n, ',', member)}]}`,
        creates: 'Groups',
      },
      {
        name: 'POST /Groups: n members, unknown ids',
        unit: 'members',
        method: 'POST',
        path: () => '/Groups',
        body: (n) =>
          `{"schemas":["${GROUP_SCHEMA}"],"displayName":"${groupName()}","members":[${join(n, ',', unknownMember)}]}`,
        creates: 'Groups',
      },
      {
        name: 'PATCH /Groups/:id: n one-member add/remove operations',
        unit: 'operations',
        method: 'PATCH',
        path: () => groupPath,
        // Two adds and one remove (of a member added just before, by a value filter).
        body: (n) =>
          patch(
            join(n, ',', (k) => {
              const j = Math.floor(k / 3);
              return k % 3 === 2
                ? `{"op":"remove","path":${str(`members[value eq "${t.memberIds[(2 * j) % t.memberIds.length]}"]`)}}`
                : `{"op":"add","path":"members","value":[${member(2 * j + (k % 3))}]}`;
            }),
          ),
      },
      {
        name: 'PATCH /Groups/:id: one add of n members (repeated)',
        unit: 'members',
        method: 'PATCH',
        path: () => groupPath,
        body: (n) => patch(`{"op":"add","path":"members","value":[${join(n, ',', member)}]}`),
      },
      {
        name: 'PATCH /Groups/:id: remove by a value filter of n or terms (members)',
        unit: 'terms',
        method: 'PATCH',
        path: () => groupPath,
        body: (n) =>
          patch(
            `{"op":"remove","path":${str(`members[${join(n, ' or ', (i) => `value eq "${t.memberIds[i % t.memberIds.length]}"`)}]`)}}`,
          ),
      },
      {
        name: 'PUT /Groups/:id: n members (repeated)',
        unit: 'members',
        method: 'PUT',
        path: () => groupPath,
        body: (n) =>
          `{"schemas":["${GROUP_SCHEMA}"],"displayName":${str(g.displayName)},"members":[${join(n, ',', member)}]}`,
      },
    );
  }

  const searches: HostileCase[] = [
    {
      name: 'POST /Users/.search: attributes, n names',
      unit: 'names',
      method: 'POST',
      path: () => '/Users/.search',
      body: (n) => search(`"attributes":[${join(n, ',', (i) => str(attributeName(i)))}]`),
    },
    {
      name: 'POST /Users/.search: excludedAttributes, n names',
      unit: 'names',
      method: 'POST',
      path: () => '/Users/.search',
      body: (n) => search(`"excludedAttributes":[${join(n, ',', (i) => str(attributeName(i)))}]`),
    },
    {
      name: 'POST /Users/.search: filter of n or terms',
      unit: 'terms',
      method: 'POST',
      path: () => '/Users/.search',
      body: (n) => search(`"filter":${str(join(n, ' or ', anyOf))}`),
    },
    {
      name: 'POST /Users/.search: filter in n parentheses',
      unit: 'levels',
      method: 'POST',
      path: () => '/Users/.search',
      body: (n) => search(`"filter":${str(`${'('.repeat(n)}userName eq "x"${')'.repeat(n)}`)}`),
    },
    {
      name: 'POST /Users/.search: value path of n or terms',
      unit: 'terms',
      method: 'POST',
      path: () => '/Users/.search',
      body: (n) => search(`"filter":${str(`emails[${join(n, ' or ', (i) => `value eq "a${i}"`)}]`)}`),
    },
  ];

  const gets: HostileCase[] = [
    {
      name: 'GET /Users: filter in n parentheses',
      unit: 'levels',
      method: 'GET',
      path: (n) => get('Users', filter(`${'('.repeat(n)}userName eq "x"${')'.repeat(n)}`)),
    },
    {
      name: 'GET /Users: filter of n or terms',
      unit: 'terms',
      method: 'GET',
      path: (n) => get('Users', filter(join(n, ' or ', anyOf))),
    },
    {
      name: 'GET /Users: filter of n and terms (co)',
      unit: 'terms',
      method: 'GET',
      path: (n) => get('Users', filter(join(n, ' and ', (i) => `userName co "${i % 10}"`))),
    },
    {
      name: 'GET /Users: emails[…] value path of n or terms',
      unit: 'terms',
      method: 'GET',
      path: (n) => get('Users', filter(`emails[${join(n, ' or ', (i) => `value eq "a${i}"`)}]`)),
    },
    {
      name: 'GET /Users: n value paths joined by or',
      unit: 'paths',
      method: 'GET',
      path: (n) => get('Users', filter(join(n, ' or ', (i) => `emails[type eq "work" and value co "${i}"]`))),
    },
    {
      name: 'GET /Users: filter under n nots',
      unit: 'levels',
      method: 'GET',
      path: (n) => get('Users', filter(`${'not ('.repeat(n)}userName eq "x"${')'.repeat(n)}`)),
    },
    {
      name: 'GET /Users: co with n LIKE wildcards',
      unit: 'wildcards',
      method: 'GET',
      path: (n) => get('Users', filter(`userName co "${'%_'.repeat(n)}"`)),
    },
    {
      name: 'GET /Users: attributes, n names',
      unit: 'names',
      method: 'GET',
      path: (n) => get('Users', `attributes=${encodeURIComponent(join(n, ',', attributeName))}`),
    },
    {
      name: 'GET /Groups: filter of n members.value terms',
      unit: 'terms',
      method: 'GET',
      path: (n) =>
        get(
          'Groups',
          filter(join(n, ' or ', (i) => `members.value eq "${t.memberIds[i % t.memberIds.length]}"`)),
        ),
    },
    // Reads of what the requests above stored: every user and group H1 created, one page each.
    {
      name: 'GET /Users?count=1000: the users H1 stored',
      unit: 'page',
      method: 'GET',
      fixed: 1,
      path: () => get('Users', `count=1000&${filter(`userName sw "${t.runId}-h1"`)}`),
    },
    {
      name: 'GET /Groups?count=1000: the groups H1 stored, members included',
      unit: 'page',
      method: 'GET',
      fixed: 1,
      path: () => get('Groups', `count=1000&${filter(`displayName sw "${t.runId}-h1"`)}`),
    },
  ];

  const overLimit: HostileCase = {
    name: 'POST /Users: a body one byte over the limit',
    unit: 'body',
    method: 'POST',
    path: () => '/Users',
    fixed: 1,
    body: () => {
      const head = `{"schemas":["${USER_SCHEMA}"],"userName":"${t.runId}-h1-over@example.com","pad":"`;
      return `${head}${'x'.repeat(Math.max(0, t.bodyLimit + 1 - head.length - 2))}"}`;
    },
  };
  return [...users, ...groups, ...searches, ...gets, overLimit];
}

/** The SCIM error's detail, or a short description of a 2xx answer. */
function answerOf(r: HttpResult): string {
  if (r.status === 0) return r.error ?? 'no answer';
  const body = parseJson<{ detail?: string; totalResults?: number }>(r.body);
  if (!isOk(r.status)) return (body?.detail ?? r.body).replace(/\s+/g, ' ').slice(0, 80);
  if (typeof body?.totalResults === 'number')
    return `totalResults ${body.totalResults}, ${fmt(r.body.length, 0)} B`;
  return r.body.length > 0 ? `${fmt(r.body.length, 0)} B` : '';
}

export const h1HostileInput: Workload = async (ctx) => {
  const { bodyLimit } = ctx.options;
  const client = new HttpClient({
    baseUrl: ctx.url,
    token: ctx.token,
    maxSockets: 1,
    contentType: SCIM_CONTENT_TYPE,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  const health = new HttpClient({
    baseUrl: serverRoot(ctx.url),
    token: '',
    maxSockets: 1,
    contentType: 'application/json',
    timeoutMs: 5000,
  });
  const probe = new Probe(serverRoot(ctx.url), PROBE_INTERVAL_MS);
  const basePathLength = new URL(ctx.url).pathname.replace(/\/+$/, '').length;
  const created: { kind: 'Users' | 'Groups'; id: string }[] = [];
  const notes: string[] = [];
  let out: WorkloadReport | undefined;
  try {
    // Untimed set-up: a user and a group to PUT and PATCH, and users whose ids fill member lists.
    const members = await knownUsers(ctx.client, MEMBER_USERS, (i) => `${ctx.runId}-h1m-${i}@example.com`);
    const targetName = `${ctx.runId}-h1-target@example.com`;
    const u = await politely(client, 'POST', '/Users', jsonBody(newUserBody(targetName, 0)));
    const userId = parseJson<{ id?: string }>(u.body)?.id;
    if (u.status !== 201 || !userId)
      throw new Error(`POST /Users answered ${u.status || u.error}: ${u.body.slice(0, 200)}`);
    created.push({ kind: 'Users', id: userId });
    const groupName = `${ctx.runId}-h1-target-group`;
    const g = await politely(
      client,
      'POST',
      '/Groups',
      jsonBody({ schemas: [GROUP_SCHEMA], displayName: groupName }),
    );
    const groupId = parseJson<{ id?: string }>(g.body)?.id;
    if (g.status === 201 && groupId) created.push({ kind: 'Groups', id: groupId });
    else notes.push(`POST /Groups answered ${g.status || g.error}: the /Groups cases were not run`);

    const cases = hostileCases({
      runId: ctx.runId,
      bodyLimit,
      user: { id: userId, userName: targetName },
      group: groupId ? { id: groupId, displayName: groupName } : undefined,
      memberIds: members.map((m) => m.id),
      unknownIds: Array.from({ length: UNKNOWN_IDS }, () => randomUUID()),
    });

    probe.start();
    await sleep(200);
    const started = performance.now();
    const deadline = started + DEADLINE_S * 1000;
    const rows: Row[] = [];
    const tableRows: string[][] = [];
    let sent = 0;
    let worstProbe = 0;
    let serverDown = false;

    const attempt = async (c: HostileCase, n: number): Promise<Row> => {
      // Build the request before the window opens: the benchmark's own work must not delay the probe.
      const path = c.path(n);
      const payload = c.body ? Buffer.from(c.body(n)) : undefined;
      await sleep(20);
      probe.begin();
      const r = await politely(client, c.method, path, payload, 3);
      await sleep(TAIL_MS);
      const window = await probe.end();
      sent += 1 + r.retries;
      worstProbe = Math.max(worstProbe, window.maxMs);
      if (c.creates && r.status === 201) {
        const id = parseJson<{ id?: string }>(r.body)?.id;
        if (id) created.push({ kind: c.creates, id });
      }
      let recoveryMs: number | undefined;
      let answer = answerOf(r);
      if (r.status === 0) {
        // The server may still be working on it: wait until it answers GET /health again (and say when).
        const gaveUp = performance.now();
        while (performance.now() - gaveUp < RECOVERY_S * 1000) {
          const h = await health.requestRaw('GET', '/health');
          if (h.status === 200) {
            recoveryMs = performance.now() - gaveUp;
            break;
          }
          await sleep(500);
        }
        if (recoveryMs === undefined) serverDown = true;
        answer +=
          recoveryMs === undefined
            ? `; /health did not answer for ${RECOVERY_S} s`
            : `; /health answered ${fmt(recoveryMs / 1000, 1)} s later`;
      }
      return {
        name: c.name,
        n,
        unit: c.unit,
        bytes: payload?.length ?? basePathLength + path.length,
        status: r.status,
        // Unanswered: at least until the server could answer again.
        serverMs: r.ms + (recoveryMs ?? 0),
        probe: window,
        retries: r.retries,
        answer,
        recoveryMs,
      };
    };
    const addRow = (row: Row, label: string): void => {
      rows.push(row);
      const pass = row.serverMs < GOAL_MS && row.probe.maxMs < GOAL_MS;
      tableRows.push([
        label,
        `${fmt(row.n, 0)} ${row.unit}`,
        fmt(row.bytes, 0),
        row.status === 0 ? 'none' : String(row.status),
        `${row.status === 0 ? '≥ ' : ''}${fmt(row.serverMs, 1)}`,
        // A probe that failed (no answer within its 2 s timeout) waited at least that long.
        `${row.probe.failures > 0 ? '≥ ' : ''}${fmt(row.probe.maxMs, 1)}`,
        row.probe.failures > 0
          ? `${row.probe.count} (${row.probe.failures} failed)`
          : String(row.probe.count),
        pass ? 'PASS' : 'MISS',
        `${row.retries > 0 ? `after ${row.retries}×429; ` : ''}${row.answer}`,
      ]);
    };

    for (const c of cases) {
      if (serverDown) {
        notes.push(`not run (the server stopped answering): ${c.name}`);
        continue;
      }
      if (performance.now() > deadline) {
        notes.push(`not run (H1 ran past ${DEADLINE_S} s): ${c.name}`);
        continue;
      }
      const limit = c.body ? bodyLimit : URL_BUDGET - basePathLength;
      const size = (n: number) => (c.body ? Buffer.byteLength(c.body(n)) : c.path(n).length);
      const maxN = c.fixed ?? largestFitting(size, limit);
      if (maxN === 0) {
        notes.push(`does not fit in ${fmt(limit, 0)} bytes even once: ${c.name}`);
        continue;
      }
      const first = await attempt(c, maxN);
      addRow(first, c.name);
      if (c.fixed !== undefined || isOk(first.status) || first.status === 0 || serverDown) continue;

      // Refused at the largest size that fits: find the largest size it accepts, and measure that too.
      let lo = 0;
      let hi = maxN;
      let best: Row | undefined;
      for (let step = 0; step < BISECT_STEPS && hi - lo > 1 && !serverDown; step++) {
        if (performance.now() > deadline) break;
        const mid = Math.floor((lo + hi) / 2);
        const row = await attempt(c, mid);
        if (isOk(row.status)) {
          lo = mid;
          best = row;
        } else {
          hi = mid;
        }
      }
      if (best) addRow(best, '  ↳ largest accepted');
      else
        tableRows.push([
          '  ↳ refused at every size tried',
          `down to ${fmt(hi, 0)} ${c.unit}`,
          ...Array<string>(7).fill(''),
        ]);
      if (hi - lo > 1)
        notes.push(`${c.name}: bisection stopped between ${fmt(lo, 0)} and ${fmt(hi, 0)} ${c.unit}`);
    }
    const seconds = (performance.now() - started) / 1000;
    await probe.stop();

    const broken = rows.filter((r) => r.status === 0 || r.status >= 500);
    const slowest = rows.reduce((m, r) => Math.max(m, r.serverMs), 0);
    const longestProbe = rows.reduce((m, r) => Math.max(m, r.probe.maxMs), 0);
    out = report(`H1 hostile input at the ${fmt(bodyLimit, 0)}-byte body limit, one at a time`, undefined, [
      `${rows.length} requests measured (${sent} sent, bisection included)`,
    ]);
    out.summary = summarise(
      rows.map((r) => r.serverMs),
      broken.length,
      seconds,
    );
    out.table = {
      header: [
        'request',
        'size (n)',
        'bytes',
        'status',
        'server ms',
        'probe max ms',
        'probes',
        'result',
        'answer',
      ],
      rows: tableRows,
    };
    out.goals.push(
      goal('H1 slowest hostile request', slowest, '<', GOAL_MS, ' ms'),
      goal('H1 longest probe wait', longestProbe, '<', GOAL_MS, ' ms'),
      goal('H1 5xx or no answer', broken.length, '<=', 0, ''),
    );
    out.notes.push(
      `probe: GET /health every ${PROBE_INTERVAL_MS} ms on its own connection, window = request + ${TAIL_MS} ms; ` +
        `${fmt(probe.total.count, 0)} probes, ${fmt(probe.total.failures, 0)} failed, ` +
        `longest over all ${sent} H1 requests ${fmt(worstProbe, 1)} ms`,
      `server ms is the request's latency on loopback; for a request given up after ${REQUEST_TIMEOUT_MS / 1000} s, ` +
        `"≥" adds the time until GET /health answered again (the server's work goes on after the client gives up)`,
      `bodies are built to the body limit (${fmt(bodyLimit, 0)} B); GETs to a ${fmt(URL_BUDGET, 0)}-byte request target. ` +
        `When the largest that fits is refused, "largest accepted" is the largest size the server took (bisection)`,
      ...notes,
    );
    for (const r of broken) {
      out.firstErrors.push(`${r.name} (${fmt(r.n, 0)} ${r.unit}) -> ${r.status || 'no answer'}: ${r.answer}`);
    }
  } finally {
    await probe.stop();
    // Untimed clean-up: the oversized users and groups H1 stored would weigh on later list workloads.
    let deleted = 0;
    for (const c of created.reverse()) {
      if (client.down) break;
      const r = await politely(client, 'DELETE', `/${c.kind}/${c.id}`);
      if (r.status === 204 || r.status === 404) deleted++;
    }
    out?.notes.push(`deleted ${deleted} of the ${created.length} users and groups H1 created (untimed)`);
    client.close();
    health.close();
  }
  if (!out) throw new Error('H1 did not finish');
  return out;
};
