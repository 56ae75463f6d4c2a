// What the fairness workloads (N1, H1, M1) share: a liveness probe on its own connection, a well-behaved
// retry for 429 answers (for set-up requests, never for the flood), and the server root derived from --url.
import { performance } from 'node:perf_hooks';
import { HttpClient, type HttpResult, type Method, isOk, parseJson, retryAfterSeconds } from './http';
import { runCount, sleep } from './runner';
import { type KnownUser, type ScimList, type ScimUser, newUserBody } from './scim';

/** The server root (scheme, host, port) of a SCIM base URL: where GET /health lives. */
export function serverRoot(scimUrl: string): string {
  return new URL(scimUrl).origin;
}

export interface ProbeWindow {
  /** Probes answered (or failed) in the window. */
  count: number;
  /** Longest probe latency in the window, ms (a probe in flight when the window ends is waited for). */
  maxMs: number;
  /** Probes that got no 200 (transport error, timeout, or another status). */
  failures: number;
  firstFailure?: string;
}

/**
 * Sends `GET <path>` (no token) every `intervalMs` on its own keep-alive connection, one at a time, and keeps
 * the longest latency per window. A probe that waits behind a blocked event loop answers late, so the window's
 * maximum is (an upper bound of) the longest time the server could not answer anyone.
 */
export class Probe {
  private readonly client: HttpClient;
  private running = false;
  private loop: Promise<void> | undefined;
  private sentAt: number | undefined;
  private waiters: (() => void)[] = [];
  private window: ProbeWindow = { count: 0, maxMs: 0, failures: 0 };
  /** Over the probe's whole life. */
  readonly total: ProbeWindow = { count: 0, maxMs: 0, failures: 0 };

  constructor(
    root: string,
    private readonly intervalMs: number,
    private readonly path = '/health',
    timeoutMs = 2000,
  ) {
    this.client = new HttpClient({
      baseUrl: root,
      token: '',
      maxSockets: 1,
      contentType: 'application/json',
      timeoutMs,
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const t0 = performance.now();
      this.sentAt = t0;
      const r = await this.client.requestRaw('GET', this.path);
      this.sentAt = undefined;
      this.observe(r);
      const wait = this.intervalMs - (performance.now() - t0);
      if (wait > 0 && this.running) await sleep(wait);
    }
  }

  private observe(r: HttpResult): void {
    for (const w of [this.window, this.total]) {
      w.count++;
      if (r.ms > w.maxMs) w.maxMs = r.ms;
      if (r.status !== 200) {
        w.failures++;
        w.firstFailure ??= r.status === 0 ? `transport error: ${r.error ?? 'unknown'}` : `status ${r.status}`;
      }
    }
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }

  /** Starts a new window. */
  begin(): void {
    this.window = { count: 0, maxMs: 0, failures: 0 };
  }

  /** Ends the window, after waiting for the probe in flight (if any) so a probe held up by a block counts. */
  async end(): Promise<ProbeWindow> {
    if (this.sentAt !== undefined && this.running) await new Promise<void>((r) => this.waiters.push(r));
    return { ...this.window };
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.loop;
    this.client.close();
  }
}

/** What a set-up request waits on a 429 before retrying: Retry-After (capped at 10 s), else 1 s. */
function backoffMs(r: HttpResult): number {
  const s = retryAfterSeconds(r);
  return s === undefined ? 1000 : Math.min(10, Math.max(0, s)) * 1000 + 50;
}

export interface PoliteResult extends HttpResult {
  /** How many 429 answers came before this one. */
  retries: number;
}

/**
 * A request as a well-behaved client sends it: on 429 it waits for Retry-After and tries again (up to
 * `attempts` times). For set-up steps and hostile inputs, whose point is not the rate limiter.
 */
export async function politely(
  client: HttpClient,
  method: Method,
  path: string,
  payload?: Buffer,
  attempts = 6,
): Promise<PoliteResult> {
  for (let retries = 0; ; retries++) {
    const r = await client.requestRaw(method, path, payload);
    if (r.status !== 429 || retries >= attempts) return { ...r, retries };
    await sleep(backoffMs(r));
  }
}

/** JSON body as a Buffer, for politely(). */
export function jsonBody(body: unknown): Buffer {
  return Buffer.from(JSON.stringify(body));
}

/**
 * At least `wanted` users of the client's directory (when it can): the first pages of the directory, then
 * creates the shortfall (untimed, `concurrency` in flight, politely). Throws when the directory cannot be read.
 */
export async function knownUsers(
  client: HttpClient,
  wanted: number,
  nameOf: (i: number) => string,
  concurrency = 8,
): Promise<KnownUser[]> {
  const users: KnownUser[] = [];
  for (let start = 1; users.length < wanted; start += 100) {
    const r = await politely(client, 'GET', `/Users?startIndex=${start}&count=100&attributes=userName`);
    const body = parseJson<ScimList<ScimUser>>(r.body);
    if (!isOk(r.status) || !body)
      throw new Error(`GET /Users answered ${r.status || r.error}: ${r.body.slice(0, 200)}`);
    const page = body.Resources ?? [];
    for (const u of page) if (users.length < wanted) users.push({ id: u.id, userName: u.userName });
    if (page.length === 0 || start + page.length > body.totalResults) break;
  }
  const missing = wanted - users.length;
  let failed: string | undefined;
  await runCount(
    Math.max(0, missing),
    concurrency,
    async (i) => {
      const userName = nameOf(i);
      const r = await politely(client, 'POST', '/Users', jsonBody(newUserBody(userName, i)));
      const id = parseJson<ScimUser>(r.body)?.id;
      if (r.status === 201 && typeof id === 'string') users.push({ id, userName });
      else failed ??= `POST /Users answered ${r.status || r.error}: ${r.body.slice(0, 200)}`;
    },
    () => client.down,
  );
  if (users.length === 0) throw new Error(`no users to work with${failed ? `: ${failed}` : ''}`);
  return users;
}
