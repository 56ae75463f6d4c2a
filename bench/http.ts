// A small keep-alive HTTP client on node:http: the benchmark's only way to talk to the server.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpResult {
  /** HTTP status, or 0 when the request failed before a response (connection refused, reset, timeout). */
  status: number;
  body: string;
  /** Wall time from sending the request to receiving the last byte of the response, in milliseconds. */
  ms: number;
  /** Transport error message when status is 0. */
  error?: string;
  /** Response headers (absent on a transport error). */
  headers?: http.IncomingHttpHeaders;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Refuses anything but a loopback http:// URL: the benchmark is a load generator, aimed only at this machine. */
export function parseLoopbackUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${what}: not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:') throw new Error(`${what}: only http:// is supported (got ${url.protocol})`);
  if (!LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error(`${what}: only loopback targets (127.0.0.1) are allowed, got ${url.hostname}`);
  }
  return url;
}

export interface ClientOptions {
  /** Base URL; request paths are appended to it (e.g. http://127.0.0.1:3000/scim/v2). */
  baseUrl: string;
  /** Bearer token sent on every request; empty for none (e.g. GET /health). */
  token: string;
  /** Upper bound on open sockets; set to the highest concurrency used. */
  maxSockets: number;
  /** Content type for request bodies and the Accept header. */
  contentType: string;
  timeoutMs?: number;
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly basePath: string;
  private readonly authorization: string | undefined;
  private readonly contentType: string;
  private readonly timeoutMs: number;
  private consecutiveTransportErrors = 0;

  constructor(opts: ClientOptions) {
    const url = parseLoopbackUrl(opts.baseUrl, 'base URL');
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = url.port ? Number(url.port) : 80;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.authorization = opts.token ? `Bearer ${opts.token}` : undefined;
    this.contentType = opts.contentType;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.agent = new http.Agent({
      keepAlive: true,
      maxSockets: opts.maxSockets,
      maxFreeSockets: opts.maxSockets,
    });
  }

  /** Sends one request; never rejects (transport failures come back as status 0). */
  request(method: Method, path: string, body?: unknown): Promise<HttpResult> {
    return this.requestRaw(method, path, body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
  }

  /**
   * Sends one request with a body that is already serialised (the hostile-input workloads build bodies no
   * JSON.stringify could, e.g. nested 100,000 levels deep); never rejects.
   */
  requestRaw(method: Method, path: string, payload?: Buffer): Promise<HttpResult> {
    const headers: http.OutgoingHttpHeaders = { accept: this.contentType };
    if (this.authorization) headers.authorization = this.authorization;
    if (payload) {
      headers['content-type'] = this.contentType;
      headers['content-length'] = payload.length;
    }
    const started = performance.now();
    return new Promise<HttpResult>((resolve) => {
      let settled = false;
      const finish = (r: Omit<HttpResult, 'ms'>) => {
        if (settled) return;
        settled = true;
        this.consecutiveTransportErrors = r.status === 0 ? this.consecutiveTransportErrors + 1 : 0;
        resolve({ ...r, ms: performance.now() - started });
      };
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path: this.basePath + path,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            finish({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
            }),
          );
          res.on('error', (e) => finish({ status: 0, body: '', error: e.message }));
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
      req.on('error', (e) => finish({ status: 0, body: '', error: e.message }));
      req.end(payload);
    });
  }

  /** True once many requests in a row failed without a response: the server has most likely gone away. */
  get down(): boolean {
    return this.consecutiveTransportErrors >= 50;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The Retry-After header when it is a whole number of seconds (RFC 9110 also allows a date: not counted). */
export function retryAfterSeconds(r: HttpResult): number | undefined {
  const raw = r.headers?.['retry-after'];
  return typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : undefined;
}

export function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

/** JSON.parse that yields undefined for an empty or malformed body. */
export function parseJson<T>(text: string): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
