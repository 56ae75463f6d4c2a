import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

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
  SCIM_MAX_RESULTS: integer(1, 10000).default(1000),
  EVENTS_RETENTION_DAYS: integer(1, 3650).default(30),
});

export type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated configuration every module reads; built once at start-up. */
export interface AppConfig {
  port: number;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  operatorToken: string | undefined;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  scimMaxResults: number;
  eventsRetentionDays: number;
}

export class ConfigError extends Error {}

/** Validates the environment; throws a ConfigError whose message is one line naming the variable and the problem. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const present = Object.fromEntries(
    Object.keys(schema.shape).flatMap((key) =>
      env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]],
    ),
  );
  const parsed = schema.safeParse(present);
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
    scimMaxResults: c.SCIM_MAX_RESULTS,
    eventsRetentionDays: c.EVENTS_RETENTION_DAYS,
  };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
