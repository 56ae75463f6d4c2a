import { collectDefaultMetrics, Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';

/** Request durations, in seconds: from 1 ms (a cached look-up) to 10 s (the statement time limit). */
export const REQUEST_SECONDS_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Waits for a pool connection, in seconds, up to past DB_CONNECT_TIMEOUT_MS's default (5 s). */
const POOL_WAIT_SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** How often the event loop's delay is sampled (ms), for `nodejs_eventloop_lag_*`. */
const EVENT_LOOP_PRECISION_MS = 10;

/** The API a caller's request was kept out of: SCIM (an integration's token) or settings (an admin token). */
export type AdmissionApi = 'scim' | 'settings';
/** Why the admission step refused a request with 429: its rate, or its requests in flight. */
export type RateLimitReason = 'rate' | 'in-flight';
/**
 * What an activity log event records: a change (written with it), a write that changed nothing, a failed
 * request, a minute's refusals, or an integration's first request when it only read.
 */
export type ScimEventKind = 'change' | 'unchanged' | 'failure' | 'refusal_summary' | 'first_read';

/** The database pool's connections at one moment. */
export interface PoolGauges {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

const ADMISSION_APIS: readonly AdmissionApi[] = ['scim', 'settings'];
const RATE_LIMIT_REASONS: readonly RateLimitReason[] = ['rate', 'in-flight'];
const EVENT_KINDS: readonly ScimEventKind[] = [
  'change',
  'unchanged',
  'failure',
  'refusal_summary',
  'first_read',
];

/** One value of `rollcall_http_requests_total`: its labels, and what is counted but not yet exported. */
interface RequestOutcome {
  readonly labels: { route: string; method: string; status: string; provider: string };
  count: number;
  exported: number;
}

/** One route and method: its duration histogram (per bucket, not cumulative; the last is +Inf) and outcomes. */
interface RouteSeries {
  readonly labels: { route: string; method: string };
  readonly buckets: number[];
  sum: number;
  count: number;
  /** By status, then provider. */
  readonly outcomes: Map<number, Map<string, RequestOutcome>>;
}

/** A line of a metric as prom-client's registry prints it. */
interface MetricLine {
  metricName: string;
  labels: Record<string, string | number>;
  /** Printed after `labels` (prom-client prints a bucket's `le` first). */
  sharedLabels?: Record<string, string>;
  value: number;
}

/**
 * Everything the server measures, in one prom-client registry per application (so several applications in one
 * process, as in the tests, never share counts). Served as Prometheus text by the metrics listener.
 *
 * Per request, `requestAnswered` costs a few map look-ups and additions: no label object, no string is made
 * per request (prom-client's own `inc`/`observe` hash their labels on every call, about 0.7 µs and a few
 * allocations a request). The counts are handed to prom-client when scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly routes = new Map<string, Map<string, RouteSeries>>();
  private readonly rateLimited: Counter<'api' | 'reason'>;
  private readonly queueTimeouts: Counter<'api'>;
  private readonly eventsWritten: Counter<'kind'>;
  private readonly eventWriteErrors: Counter<'kind'>;
  private readonly poolWaits: Histogram;
  private pool: (() => PoolGauges | undefined) | undefined;
  private processMetrics = false;

  constructor() {
    const registers = [this.registry];
    const routes = this.routes;
    new Counter({
      name: 'rollcall_http_requests_total',
      help:
        'HTTP requests answered, by route pattern (`unmatched` when no route matched), method, status and ' +
        'provider (the SCIM integration’s kind, or `none` for the settings API, operator and unauthenticated calls).',
      labelNames: ['route', 'method', 'status', 'provider'],
      registers,
      collect(this: Counter<'route' | 'method' | 'status' | 'provider'>) {
        for (const byMethod of routes.values()) {
          for (const series of byMethod.values()) {
            for (const byProvider of series.outcomes.values()) {
              for (const outcome of byProvider.values()) {
                if (outcome.count === outcome.exported) continue;
                this.inc(outcome.labels, outcome.count - outcome.exported);
                outcome.exported = outcome.count;
              }
            }
          }
        }
      },
    });
    // prom-client's Histogram has no way to take counts made elsewhere: this one prints them itself.
    this.registry.registerMetric(requestDurations(routes) as unknown as Metric);
    this.rateLimited = new Counter({
      name: 'rollcall_rate_limited_total',
      help:
        'Requests refused with 429 before their body was read, by API (`scim`: an integration’s token, ' +
        '`settings`: an admin token) and reason (`rate`: over its rate while others were served, `in-flight`: ' +
        'over its cap of requests in flight).',
      labelNames: ['api', 'reason'],
      registers,
    });
    this.queueTimeouts = new Counter({
      name: 'rollcall_admission_queue_timeouts_total',
      help:
        'Requests that waited for their turn (over the caller’s concurrency) until the request time limit, or ' +
        'until their client left, and were answered 503.',
      labelNames: ['api'],
      registers,
    });
    this.eventsWritten = new Counter({
      name: 'rollcall_scim_events_written_total',
      help:
        'Events written to the sync activity log, by kind (`change`: with a change, by its own statement; ' +
        '`unchanged`: a write that left the resource as it was; `failure`: a failed request; `refusal_summary`: the first of a minute’s refused requests; ' +
        '`first_read`: an integration’s first request, when it only read).',
      labelNames: ['kind'],
      registers,
    });
    this.eventWriteErrors = new Counter({
      name: 'rollcall_scim_event_write_errors_total',
      help: 'Activity log events that could not be written (logged as warnings), by kind.',
      labelNames: ['kind'],
      registers,
    });
    for (const api of ADMISSION_APIS) {
      this.queueTimeouts.inc({ api }, 0);
      for (const reason of RATE_LIMIT_REASONS) this.rateLimited.inc({ api, reason }, 0);
    }
    for (const kind of EVENT_KINDS) {
      this.eventsWritten.inc({ kind }, 0);
      this.eventWriteErrors.inc({ kind }, 0);
    }

    const gauge = (name: string, help: string, read: (pool: PoolGauges) => number) => {
      const metric: Gauge = new Gauge({
        name,
        help,
        registers,
        collect: () => {
          const pool = this.pool?.();
          if (pool) metric.set(read(pool));
        },
      });
    };
    gauge('rollcall_db_pool_connections', 'Open connections of the database pool.', (p) => p.total);
    gauge('rollcall_db_pool_idle_connections', 'Open connections of the pool not in use.', (p) => p.idle);
    gauge(
      'rollcall_db_pool_waiting',
      'Queries and transactions waiting for a connection of the pool now.',
      (p) => p.waiting,
    );
    gauge('rollcall_db_pool_max_connections', 'The pool’s size (DATABASE_POOL_SIZE).', (p) => p.max);
    this.poolWaits = new Histogram({
      name: 'rollcall_db_pool_wait_seconds',
      help:
        'How long a query or transaction that found every pool connection busy waited for one (those that ' +
        'found one at once are not counted; a wait cut by DB_CONNECT_TIMEOUT_MS is a 503).',
      buckets: POOL_WAIT_SECONDS_BUCKETS,
      registers,
    });
  }

  /** The content type of {@link text}: Prometheus text format 0.0.4. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric, as Prometheus text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Counts an answered request and (but for a 429) its duration. The hot path: `route` is the route's pattern
   * (never a raw URL), `provider` the integration's kind or `none`, so the label values stay few.
   */
  requestAnswered(route: string, method: string, status: number, provider: string, seconds: number): void {
    const series = this.routeSeries(route, method);
    // A refusal's duration is its deliberate pause (REFUSAL_PAUSE_MS): it would only hide real latencies.
    if (status !== 429) {
      let i = 0;
      while (i < REQUEST_SECONDS_BUCKETS.length && seconds > REQUEST_SECONDS_BUCKETS[i]) i++;
      series.buckets[i]++;
      series.sum += seconds;
      series.count++;
    }
    let byProvider = series.outcomes.get(status);
    if (!byProvider) series.outcomes.set(status, (byProvider = new Map<string, RequestOutcome>()));
    let outcome = byProvider.get(provider);
    if (!outcome) {
      outcome = { labels: { route, method, status: String(status), provider }, count: 0, exported: 0 };
      byProvider.set(provider, outcome);
    }
    outcome.count++;
  }

  /** A request refused with 429 by the admission step. */
  rateLimitedRequest(api: AdmissionApi, reason: RateLimitReason): void {
    this.rateLimited.inc({ api, reason });
  }

  /** A request that gave up waiting for its turn (503). */
  queueTimedOut(api: AdmissionApi): void {
    this.queueTimeouts.inc({ api });
  }

  /** Activity log events written (committed). */
  scimEventsWritten(kind: ScimEventKind, count = 1): void {
    this.eventsWritten.inc({ kind }, count);
  }

  /** An activity log event that could not be written. */
  scimEventWriteFailed(kind: ScimEventKind): void {
    this.eventWriteErrors.inc({ kind });
  }

  /** Where the pool gauges are read from, when scraped. */
  observePool(read: () => PoolGauges | undefined): void {
    this.pool = read;
  }

  /** A query or transaction waited this long for a pool connection. */
  poolWaited(seconds: number): void {
    this.poolWaits.observe(seconds);
  }

  /**
   * prom-client's process and Node.js metrics (memory, CPU, heap, GC, event-loop lag, handles). Started only with
   * the metrics listener: the event loop's delay is sampled from then on.
   */
  collectProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });
  }

  private routeSeries(route: string, method: string): RouteSeries {
    let byMethod = this.routes.get(route);
    if (!byMethod) this.routes.set(route, (byMethod = new Map<string, RouteSeries>()));
    let series = byMethod.get(method);
    if (!series) {
      series = {
        labels: { route, method },
        buckets: new Array<number>(REQUEST_SECONDS_BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
        outcomes: new Map(),
      };
      byMethod.set(method, series);
    }
    return series;
  }
}

/** `rollcall_http_request_duration_seconds`, printed from the counts `requestAnswered` keeps. */
function requestDurations(routes: Map<string, Map<string, RouteSeries>>) {
  const name = 'rollcall_http_request_duration_seconds';
  const help =
    'Time from a request’s arrival to its answer, in seconds, by route pattern and method; refusals (429), ' +
    'answered after a deliberate pause, are left out.';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: MetricLine[] = [];
      for (const byMethod of routes.values()) {
        for (const { labels, buckets, sum, count } of byMethod.values()) {
          let cumulative = 0;
          REQUEST_SECONDS_BUCKETS.forEach((le, i) => {
            cumulative += buckets[i];
            values.push({
              metricName: `${name}_bucket`,
              labels: { le },
              sharedLabels: labels,
              value: cumulative,
            });
          });
          values.push({
            metricName: `${name}_bucket`,
            labels: { le: '+Inf' },
            sharedLabels: labels,
            value: count,
          });
          values.push({ metricName: `${name}_sum`, labels, value: sum });
          values.push({ metricName: `${name}_count`, labels, value: count });
        }
      }
      return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
    },
  };
}
