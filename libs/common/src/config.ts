import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** An interface to listen on: an IPv4 or IPv6 address, or a host name that resolves to one. */
const listenHost = z
  .string()
  .trim()
  .pipe(z.union([z.ipv4(), z.ipv6(), z.hostname()], { error: 'must be an IP address or a host name' }));

const schema = z.object({
  PORT: integer(1, 65535).default(3000),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://rollcall.example.com' })
    // The SCIM base URL is PUBLIC_URL + /scim/v2: a query or fragment would end up in the middle of it.
    .refine((url) => !/[?#]/.test(url), 'must not have a query string or fragment')
    .optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  DATA_DIR: z.string().trim().min(1, 'must not be empty').default('./.data'),
  ROLLCALL_OPERATOR_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters (use a long random value)')
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  BODY_LIMIT_BYTES: integer(1024, 64 * 1024 * 1024).default(1024 * 1024),
  SCIM_BULK_MAX_PAYLOAD_BYTES: integer(1024, 64 * 1024 * 1024).default(2 * 1024 * 1024),
  SCIM_MAX_RESULTS: integer(1, 10000).default(1000),
  EVENTS_RETENTION_DAYS: integer(1, 3650).default(30),
  PORTAL_LINK_TTL_SECONDS: integer(30, 86_400).default(300),
  PORTAL_SESSION_IDLE_SECONDS: integer(60, 86_400).default(1800),
  SCIM_RATE_LIMIT: integer(1, 1_000_000).default(100),
  SCIM_RATE_BURST: integer(1, 1_000_000).default(200),
  SCIM_MAX_CONCURRENT: integer(1, 1000).default(8),
  SCIM_MAX_IN_FLIGHT: integer(1, 10_000).default(48),
  ADMIN_RATE_LIMIT: integer(1, 1_000_000).default(20),
  ADMIN_RATE_BURST: integer(1, 1_000_000).default(100),
  LARGE_BODY_CONCURRENCY: integer(1, 1000).default(2),
  DATABASE_POOL_SIZE: integer(2, 1000).default(20),
  DB_STATEMENT_TIMEOUT_MS: integer(100, 3_600_000).default(10_000),
  DB_LOCK_TIMEOUT_MS: integer(10, 3_600_000).default(5_000),
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: integer(100, 3_600_000).default(10_000),
  DB_CONNECT_TIMEOUT_MS: integer(100, 600_000).default(5_000),
  HTTP_HEADERS_TIMEOUT_MS: integer(1000, 3_600_000).default(20_000),
  HTTP_REQUEST_TIMEOUT_MS: integer(1000, 3_600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(1000, 3_600_000).default(65_000),
  MIGRATE_ON_START: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('true')
    .transform((v) => v === 'true'),
  // Unset: no metrics listener, and nothing is measured per request. 0: any free port (the start log names it).
  METRICS_PORT: integer(0, 65535).optional(),
  METRICS_HOST: listenHost.default('127.0.0.1'),
});

/** The environment variables the configuration reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

/** An admin token is one person or script: a few requests at once is plenty. */
const ADMIN_MAX_CONCURRENT = 4;
const ADMIN_MAX_IN_FLIGHT = 16;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated configuration every module reads; built once at start-up. */
export interface AppConfig {
  /** Apply pending migrations at start (under an advisory lock); false: refuse to start while any is pending. */
  migrateOnStart: boolean;
  port: number;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  operatorToken: string | undefined;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  /** Largest /Bulk request body (advertised as `bulk.maxPayloadSize`); every other request has `bodyLimitBytes`. */
  scimBulkMaxPayloadBytes: number;
  scimMaxResults: number;
  eventsRetentionDays: number;
  portal: PortalConfig;
  limits: LimitsConfig;
  timeouts: TimeoutsConfig;
  databasePoolSize: number;
  /** Where `GET /metrics` is served (a listener of its own); undefined: metrics are off. */
  metrics: MetricsConfig | undefined;
}

export interface MetricsConfig {
  /** 0: any free port. */
  port: number;
  host: string;
}

/** The admin portal's one-time links and sessions. */
export interface PortalConfig {
  /** How long a portal link can be opened (once). */
  linkTtlSeconds: number;
  /** A portal session ends after this long without a request. */
  sessionIdleSeconds: number;
}

/** Per-caller limits, checked before a request's body is read (README, "Limits"). */
export interface LimitsConfig {
  scim: CallerLimits;
  admin: CallerLimits;
  /** Requests whose body is large (over 64 KiB, or of unknown length) read and handled at once, process-wide. */
  largeBodyConcurrency: number;
}

export interface CallerLimits {
  /** Sustained requests per second a caller is guaranteed (token bucket refill rate). */
  ratePerSecond: number;
  /** Requests a caller may send at once above its rate (token bucket size). */
  burst: number;
  /** Requests of one caller handled at once; more wait in arrival order. */
  maxConcurrent: number;
  /** Requests of one caller handled or waiting; above it the answer is 429. */
  maxInFlight: number;
}

export interface TimeoutsConfig {
  statementMs: number;
  lockMs: number;
  idleInTransactionMs: number;
  connectMs: number;
  httpHeadersMs: number;
  httpRequestMs: number;
  httpKeepAliveMs: number;
}

export class ConfigError extends Error {}

/** Validates the environment; throws a ConfigError whose message is one line naming the variable and the problem. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const present = Object.fromEntries(
    Object.keys(schema.shape).flatMap((key) =>
      env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]],
    ),
  );
  const parsed = schema
    .refine((c) => c.HTTP_HEADERS_TIMEOUT_MS <= c.HTTP_REQUEST_TIMEOUT_MS, {
      path: ['HTTP_HEADERS_TIMEOUT_MS'],
      message: 'must not be larger than HTTP_REQUEST_TIMEOUT_MS',
    })
    .refine((c) => c.SCIM_MAX_CONCURRENT <= c.SCIM_MAX_IN_FLIGHT, {
      path: ['SCIM_MAX_CONCURRENT'],
      message: 'must not be larger than SCIM_MAX_IN_FLIGHT',
    })
    .refine((c) => c.METRICS_PORT !== c.PORT, {
      path: ['METRICS_PORT'],
      message: 'must not be PORT (metrics are served on a port of their own)',
    })
    .safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message}`);
  }
  const c = parsed.data;
  return {
    port: c.PORT,
    publicUrl: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, ''),
    databaseUrl: c.DATABASE_URL,
    dataDir: c.DATA_DIR,
    operatorToken: c.ROLLCALL_OPERATOR_TOKEN,
    logLevel: c.LOG_LEVEL,
    bodyLimitBytes: c.BODY_LIMIT_BYTES,
    scimBulkMaxPayloadBytes: c.SCIM_BULK_MAX_PAYLOAD_BYTES,
    scimMaxResults: c.SCIM_MAX_RESULTS,
    eventsRetentionDays: c.EVENTS_RETENTION_DAYS,
    portal: { linkTtlSeconds: c.PORTAL_LINK_TTL_SECONDS, sessionIdleSeconds: c.PORTAL_SESSION_IDLE_SECONDS },
    limits: {
      scim: {
        ratePerSecond: c.SCIM_RATE_LIMIT,
        burst: c.SCIM_RATE_BURST,
        maxConcurrent: c.SCIM_MAX_CONCURRENT,
        maxInFlight: c.SCIM_MAX_IN_FLIGHT,
      },
      admin: {
        ratePerSecond: c.ADMIN_RATE_LIMIT,
        burst: c.ADMIN_RATE_BURST,
        maxConcurrent: ADMIN_MAX_CONCURRENT,
        maxInFlight: ADMIN_MAX_IN_FLIGHT,
      },
      largeBodyConcurrency: c.LARGE_BODY_CONCURRENCY,
    },
    timeouts: {
      statementMs: c.DB_STATEMENT_TIMEOUT_MS,
      lockMs: c.DB_LOCK_TIMEOUT_MS,
      idleInTransactionMs: c.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      connectMs: c.DB_CONNECT_TIMEOUT_MS,
      httpHeadersMs: c.HTTP_HEADERS_TIMEOUT_MS,
      httpRequestMs: c.HTTP_REQUEST_TIMEOUT_MS,
      httpKeepAliveMs: c.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    databasePoolSize: c.DATABASE_POOL_SIZE,
    migrateOnStart: c.MIGRATE_ON_START,
    metrics: c.METRICS_PORT === undefined ? undefined : { port: c.METRICS_PORT, host: c.METRICS_HOST },
  };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
