import { ConfigError, loadConfig } from './config';

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe(loadConfig.name, () => {
  describe('defaults', () => {
    const config = loadConfig({});

    it.each([
      ['PORT', 'port', 3000],
      ['PUBLIC_URL', 'publicUrl', 'http://localhost:3000'],
      ['DATABASE_URL', 'databaseUrl', undefined],
      ['DATA_DIR', 'dataDir', './.data'],
      ['ROLLCALL_OPERATOR_TOKEN', 'operatorToken', undefined],
      ['LOG_LEVEL', 'logLevel', 'info'],
      ['BODY_LIMIT_BYTES', 'bodyLimitBytes', 1024 * 1024],
      ['SCIM_BULK_MAX_PAYLOAD_BYTES', 'scimBulkMaxPayloadBytes', 2 * 1024 * 1024],
      ['SCIM_MAX_RESULTS', 'scimMaxResults', 1000],
      ['EVENTS_RETENTION_DAYS', 'eventsRetentionDays', 30],
      ['DATABASE_POOL_SIZE', 'databasePoolSize', 20],
      ['MIGRATE_ON_START', 'migrateOnStart', true],
      ['METRICS_PORT', 'metrics', undefined],
    ] as const)('%s defaults to %s = %p', (_variable, key, value) => {
      expect(config[key]).toBe(value);
    });

    it('has limits that the benchmark (16 in flight) and an Entra-paced client (25/s) never meet', () => {
      expect(config.limits).toEqual({
        scim: { ratePerSecond: 100, burst: 200, maxConcurrent: 8, maxInFlight: 48 },
        admin: { ratePerSecond: 20, burst: 100, maxConcurrent: 4, maxInFlight: 16 },
        largeBodyConcurrency: 2,
      });
    });

    it('has a time limit on every database session and HTTP request', () => {
      expect(config.timeouts).toEqual({
        statementMs: 10_000,
        lockMs: 5_000,
        idleInTransactionMs: 10_000,
        connectMs: 5_000,
        httpHeadersMs: 20_000,
        httpRequestMs: 30_000,
        httpKeepAliveMs: 65_000,
      });
    });

    it('opens a portal link for 5 minutes and ends a portal session after 30 idle minutes', () => {
      expect(config.portal).toEqual({ linkTtlSeconds: 300, sessionIdleSeconds: 1800 });
    });

    it('has no built-in operator credential', () => {
      expect(config.operatorToken).toBeUndefined();
    });

    it('treats an empty variable as unset', () => {
      expect(
        loadConfig({
          PORT: '',
          PUBLIC_URL: '',
          DATABASE_URL: '',
          DATA_DIR: '',
          ROLLCALL_OPERATOR_TOKEN: '',
          LOG_LEVEL: '',
          BODY_LIMIT_BYTES: '',
          SCIM_MAX_RESULTS: '',
          EVENTS_RETENTION_DAYS: '',
        }),
      ).toEqual(config);
    });

    it('derives PUBLIC_URL from PORT', () => {
      expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    });

    it('ignores variables it does not know', () => {
      expect(loadConfig({ HOME: '/root', PATH: '/bin', NODE_ENV: 'test' })).toEqual(config);
    });
  });

  describe('given values', () => {
    it('reads every variable', () => {
      const token = 'o'.repeat(40);
      expect(
        loadConfig({
          PORT: ' 8443 ',
          PUBLIC_URL: 'https://rollcall.example.com/',
          DATABASE_URL: 'postgres://rollcall:secret@db:5432/rollcall',
          DATA_DIR: '/var/lib/rollcall',
          ROLLCALL_OPERATOR_TOKEN: token,
          LOG_LEVEL: 'debug',
          BODY_LIMIT_BYTES: '2048',
          SCIM_BULK_MAX_PAYLOAD_BYTES: '4096',
          SCIM_MAX_RESULTS: '200',
          EVENTS_RETENTION_DAYS: '7',
          PORTAL_LINK_TTL_SECONDS: '120',
          PORTAL_SESSION_IDLE_SECONDS: '600',
          SCIM_RATE_LIMIT: '50',
          SCIM_RATE_BURST: '60',
          SCIM_MAX_CONCURRENT: '4',
          SCIM_MAX_IN_FLIGHT: '16',
          ADMIN_RATE_LIMIT: '5',
          ADMIN_RATE_BURST: '10',
          LARGE_BODY_CONCURRENCY: '3',
          DATABASE_POOL_SIZE: '30',
          DB_STATEMENT_TIMEOUT_MS: '2000',
          DB_LOCK_TIMEOUT_MS: '1000',
          DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '3000',
          DB_CONNECT_TIMEOUT_MS: '4000',
          HTTP_HEADERS_TIMEOUT_MS: '5000',
          HTTP_REQUEST_TIMEOUT_MS: '6000',
          HTTP_KEEP_ALIVE_TIMEOUT_MS: '7000',
          MIGRATE_ON_START: 'false',
          METRICS_PORT: '9464',
          METRICS_HOST: '0.0.0.0',
        }),
      ).toEqual({
        port: 8443,
        publicUrl: 'https://rollcall.example.com',
        databaseUrl: 'postgres://rollcall:secret@db:5432/rollcall',
        dataDir: '/var/lib/rollcall',
        operatorToken: token,
        logLevel: 'debug',
        bodyLimitBytes: 2048,
        scimBulkMaxPayloadBytes: 4096,
        scimMaxResults: 200,
        eventsRetentionDays: 7,
        portal: { linkTtlSeconds: 120, sessionIdleSeconds: 600 },
        limits: {
          scim: { ratePerSecond: 50, burst: 60, maxConcurrent: 4, maxInFlight: 16 },
          admin: { ratePerSecond: 5, burst: 10, maxConcurrent: 4, maxInFlight: 16 },
          largeBodyConcurrency: 3,
        },
        timeouts: {
          statementMs: 2000,
          lockMs: 1000,
          idleInTransactionMs: 3000,
          connectMs: 4000,
          httpHeadersMs: 5000,
          httpRequestMs: 6000,
          httpKeepAliveMs: 7000,
        },
        databasePoolSize: 30,
        migrateOnStart: false,
        metrics: { port: 9464, host: '0.0.0.0' },
      });
    });

    it('serves metrics on 127.0.0.1 unless METRICS_HOST says otherwise; port 0 is any free port', () => {
      expect(loadConfig({ METRICS_PORT: '0' }).metrics).toEqual({ port: 0, host: '127.0.0.1' });
      expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '::' }).metrics).toEqual({
        port: 9464,
        host: '::',
      });
      expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: 'api1' }).metrics?.host).toBe('api1');
    });

    it('keeps metrics off without METRICS_PORT, whatever METRICS_HOST says', () => {
      expect(loadConfig({ METRICS_HOST: '0.0.0.0' }).metrics).toBeUndefined();
    });

    it.each(['http://localhost:3000', 'https://id.example.com/rollcall'])('accepts PUBLIC_URL %s', (url) => {
      expect(loadConfig({ PUBLIC_URL: url }).publicUrl).toBe(url);
    });

    it('drops trailing slashes from PUBLIC_URL, so the SCIM base URL has no double slash', () => {
      expect(loadConfig({ PUBLIC_URL: 'https://id.example.com/rollcall//' }).publicUrl).toBe(
        'https://id.example.com/rollcall',
      );
    });

    it('accepts a postgresql:// DATABASE_URL', () => {
      expect(loadConfig({ DATABASE_URL: 'postgresql://localhost/rollcall' }).databaseUrl).toBe(
        'postgresql://localhost/rollcall',
      );
    });

    it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])(
      'accepts LOG_LEVEL %s',
      (level) => {
        expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
      },
    );

    it.each([
      ['PORT', '1', 'port', 1],
      ['PORT', '65535', 'port', 65535],
      ['BODY_LIMIT_BYTES', '1024', 'bodyLimitBytes', 1024],
      ['SCIM_MAX_RESULTS', '10000', 'scimMaxResults', 10000],
      ['EVENTS_RETENTION_DAYS', '3650', 'eventsRetentionDays', 3650],
    ] as const)('accepts the bound %s=%s', (variable, value, key, expected) => {
      expect(loadConfig({ [variable]: value })[key]).toBe(expected);
    });
  });

  describe('bad values', () => {
    it.each([
      ['PORT', 'abc', 'must be a whole number'],
      ['PORT', '3000.5', 'must be a whole number'],
      ['PORT', '-1', 'must be a whole number'],
      ['PORT', '0', 'must be at least 1'],
      ['PORT', '65536', 'must be at most 65535'],
      ['PUBLIC_URL', 'rollcall.example.com', 'must be an http(s) URL'],
      ['PUBLIC_URL', 'ftp://rollcall.example.com', 'must be an http(s) URL'],
      ['PUBLIC_URL', 'https://rollcall.example.com/?x=1', 'must not have a query string or fragment'],
      ['PUBLIC_URL', 'https://rollcall.example.com/#top', 'must not have a query string or fragment'],
      ['DATABASE_URL', 'mysql://db/rollcall', 'must be a postgres:// URL'],
      ['DATABASE_URL', 'not a url', 'must be a postgres:// URL'],
      ['DATA_DIR', '   ', 'must not be empty'],
      ['ROLLCALL_OPERATOR_TOKEN', 'short-secret', 'must be at least 32 characters'],
      ['LOG_LEVEL', 'verbose', 'must be one of fatal, error, warn, info, debug, trace, silent'],
      ['LOG_LEVEL', 'INFO', 'must be one of'],
      ['BODY_LIMIT_BYTES', '1mb', 'must be a whole number'],
      ['BODY_LIMIT_BYTES', '1023', 'must be at least 1024'],
      ['BODY_LIMIT_BYTES', String(64 * 1024 * 1024 + 1), `must be at most ${64 * 1024 * 1024}`],
      ['SCIM_BULK_MAX_PAYLOAD_BYTES', '2mb', 'must be a whole number'],
      ['SCIM_BULK_MAX_PAYLOAD_BYTES', '1023', 'must be at least 1024'],
      ['SCIM_BULK_MAX_PAYLOAD_BYTES', String(64 * 1024 * 1024 + 1), `must be at most ${64 * 1024 * 1024}`],
      ['SCIM_MAX_RESULTS', '0', 'must be at least 1'],
      ['SCIM_MAX_RESULTS', '10001', 'must be at most 10000'],
      ['EVENTS_RETENTION_DAYS', 'forever', 'must be a whole number'],
      ['EVENTS_RETENTION_DAYS', '0', 'must be at least 1'],
      ['EVENTS_RETENTION_DAYS', '3651', 'must be at most 3650'],
      ['PORTAL_LINK_TTL_SECONDS', '5m', 'must be a whole number'],
      ['PORTAL_LINK_TTL_SECONDS', '29', 'must be at least 30'],
      ['PORTAL_LINK_TTL_SECONDS', '86401', 'must be at most 86400'],
      ['PORTAL_SESSION_IDLE_SECONDS', '-1', 'must be a whole number'],
      ['PORTAL_SESSION_IDLE_SECONDS', '59', 'must be at least 60'],
      ['PORTAL_SESSION_IDLE_SECONDS', '86401', 'must be at most 86400'],
      ['SCIM_RATE_LIMIT', '0', 'must be at least 1'],
      ['SCIM_MAX_IN_FLIGHT', 'many', 'must be a whole number'],
      ['DB_STATEMENT_TIMEOUT_MS', '10', 'must be at least 100'],
      ['HTTP_REQUEST_TIMEOUT_MS', '999', 'must be at least 1000'],
      ['METRICS_PORT', 'on', 'must be a whole number'],
      ['METRICS_PORT', '65536', 'must be at most 65535'],
      ['METRICS_HOST', 'not a host', 'must be an IP address or a host name'],
      ['METRICS_HOST', 'http://127.0.0.1', 'must be an IP address or a host name'],
    ])('%s=%p stops the start with one line naming it', (variable, value, problem) => {
      const e = errorOf({ [variable]: value });
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).not.toContain('\n');
      expect(e.message.startsWith(`Invalid configuration: ${variable} `)).toBe(true);
      expect(e.message).toContain(problem);
    });

    it('refuses a header timeout longer than the request timeout', () => {
      expect(errorOf({ HTTP_HEADERS_TIMEOUT_MS: '40000' }).message).toBe(
        'Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not be larger than HTTP_REQUEST_TIMEOUT_MS',
      );
    });

    it('takes MIGRATE_ON_START as true or false only', () => {
      expect(errorOf({ MIGRATE_ON_START: 'no' }).message).toBe(
        'Invalid configuration: MIGRATE_ON_START must be true or false',
      );
    });

    it('refuses more requests running at once than in flight', () => {
      expect(errorOf({ SCIM_MAX_CONCURRENT: '64' }).message).toBe(
        'Invalid configuration: SCIM_MAX_CONCURRENT must not be larger than SCIM_MAX_IN_FLIGHT',
      );
    });

    it('refuses metrics on the API port', () => {
      expect(errorOf({ PORT: '8080', METRICS_PORT: '8080' }).message).toBe(
        'Invalid configuration: METRICS_PORT must not be PORT (metrics are served on a port of their own)',
      );
      expect(errorOf({ METRICS_PORT: '3000' }).message).toContain('METRICS_PORT must not be PORT');
    });

    it('names one variable when several are bad', () => {
      const e = errorOf({ PORT: 'x', LOG_LEVEL: 'loud' });
      expect(e.message).not.toContain('\n');
      expect(e.message).toMatch(/^Invalid configuration: (PORT|LOG_LEVEL) /);
    });

    it('never echoes a secret value back', () => {
      const e = errorOf({ ROLLCALL_OPERATOR_TOKEN: 'hunter2-secret' });
      expect(e.message).not.toContain('hunter2-secret');
      const d = errorOf({ DATABASE_URL: 'mysql://user:pa55word@db/x' });
      expect(d.message).not.toContain('pa55word');
    });
  });
});
