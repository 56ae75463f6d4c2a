import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pino, { type Logger } from 'pino';
import { type AppConfig, ConfigError, loadConfig } from '@rollcall/common';
import {
  type EmbeddedDatabase,
  pendingMigrations,
  runMigrations,
  startEmbeddedPostgres,
} from '@rollcall/database';
import { createApp } from './app';
import { MetricsServer } from './metrics';
import { ensureOperatorTokenFile } from './operator-token';

/** After the first signal, a shutdown that has not finished within this time exits with 1. */
const SHUTDOWN_TIMEOUT_MS = 15_000;
/**
 * While stopping, once nothing is in flight, open keep-alive connections get this long to bring the request a
 * busy client is sending right now (it is answered, with `Connection: close`) before the idle ones are closed.
 */
const KEEP_ALIVE_SETTLE_MS = 100;
/**
 * After that, connections still open carry at most a request whose headers have not fully arrived (so the
 * application never saw it): they get this long, then are closed.
 */
const UNSEEN_REQUEST_GRACE_MS = 1_000;
/** Each stops the server the same way: SIGTERM (service managers, Docker), SIGINT (Ctrl-C), SIGHUP (terminal closed). */
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** What the start has brought up so far; the shutdown takes down whatever is there, in reverse order. */
interface Running {
  embedded?: EmbeddedDatabase;
  app?: INestApplication;
  requests?: RequestTracker;
}

interface RequestTracker {
  readonly inFlight: number;
  /**
   * Stops accepting connections (new ones are refused); answers every request in flight — and any that
   * arrives meanwhile on a connection already open — with `Connection: close`, so each connection closes after
   * its current answer; then closes the idle ones, and resolves once every connection is closed.
   */
  drain(): Promise<{ inFlight: number; answered: number }>;
}

function trackRequests(server: Server): RequestTracker {
  const active = new Set<ServerResponse>();
  let draining = false;
  let answered = 0;
  let whenIdle: (() => void) | undefined;
  // Prepended, so it runs before the application has written anything.
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    active.add(res);
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      active.delete(res);
      if (!draining) return;
      answered++;
      if (active.size === 0) whenIdle?.();
    });
  });
  const idle = () => (active.size === 0 ? Promise.resolve() : new Promise<void>((ok) => (whenIdle = ok)));
  return {
    get inFlight() {
      return active.size;
    },
    async drain() {
      draining = true;
      const inFlight = active.size;
      for (const res of active) if (!res.headersSent) res.setHeader('Connection', 'close');
      // Stop accepting connections, keeping the open ones for now: net.Server's close, not http.Server's, which
      // would also drop the idle keep-alive connections at once — and the requests already on their way over them.
      const closed = new Promise<boolean>((ok) => NetServer.prototype.close.call(server, () => ok(true)));
      for (;;) {
        await idle();
        // A busy client's next request is usually on its way: it is answered (and its connection closed).
        await delay(KEEP_ALIVE_SETTLE_MS);
        if (active.size > 0) continue;
        server.closeIdleConnections();
        if (await Promise.race([closed, delay(UNSEEN_REQUEST_GRACE_MS, false)])) break;
        // Still nothing in flight (checked in the same tick as the close, so no request slips in between).
        if (active.size === 0) {
          server.closeAllConnections();
          await closed;
          break;
        }
      }
      return { inFlight, answered };
    },
  };
}

/** Where the server listens: every IPv4 interface (the README and the container publish the port). */
const LISTEN_HOST = '0.0.0.0';

/** Brings up the embedded PostgreSQL (without DATABASE_URL), the application and the listener, in that order. */
async function start(
  config: AppConfig,
  log: Logger,
  running: Running,
  stopRequested: () => boolean,
): Promise<void> {
  const started = Date.now();
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const dataDir = resolve(config.dataDir);
    log.info({ dataDir }, 'DATABASE_URL is not set: starting the embedded PostgreSQL');
    running.embedded = await startEmbeddedPostgres({
      dir: dataDir,
      persistent: true,
      database: 'rollcall',
      // Its own process group: a Ctrl-C reaches only us, and we stop it once the requests in flight are answered.
      detached: true,
      onLog: (m) => log.debug({ postgres: m }),
      onNotice: (level, message, details) => log[level](details, message),
      avoidPorts: [config.port, ...(config.metrics ? [config.metrics.port] : [])],
    });
    databaseUrl = running.embedded.url;
    log.info(
      { clusterDir: running.embedded.clusterDir, user: running.embedded.user, ms: Date.now() - started },
      'Embedded PostgreSQL is ready',
    );
    if (!config.operatorToken) {
      const { token, file, created } = ensureOperatorTokenFile(dataDir);
      config = { ...config, operatorToken: token };
      log.info(
        { file },
        created ? 'Generated the operator token; read it from this file' : 'Operator token read from file',
      );
    }
  } else if (!config.operatorToken) {
    log.warn('ROLLCALL_OPERATOR_TOKEN is not set: the operator API (/api/v1/tenants) is disabled');
  }
  if (stopRequested()) return;
  await migrate(config, databaseUrl, log);
  if (stopRequested()) return;

  running.app = await createApp(config, databaseUrl);
  running.requests = trackRequests(running.app.getHttpServer() as Server);
  if (stopRequested()) return;
  await running.app.listen(config.port, LISTEN_HOST);
  log.info(
    {
      address: (running.app.getHttpServer() as Server).address() as AddressInfo,
      port: config.port,
      // GET /metrics, when METRICS_PORT is set.
      metrics: running.app.get(MetricsServer).address(),
      publicUrl: config.publicUrl,
      docs: `${config.publicUrl}/docs`,
      startupMs: Date.now() - started,
    },
    'Rollcall is listening',
  );
}

/**
 * Brings the schema up to date before serving, under an advisory lock, so that any number of instances starting
 * together apply each migration once (MIGRATE_ON_START=true, the default). With MIGRATE_ON_START=false a deploy
 * migrates first (`npm run migration:run`), and the server refuses to start on a schema that is behind.
 */
async function migrate(config: AppConfig, databaseUrl: string, log: Logger): Promise<void> {
  const t = Date.now();
  if (config.migrateOnStart) {
    const applied = await runMigrations(databaseUrl);
    log.info(
      { applied, ms: Date.now() - t },
      applied.length ? 'Migrations applied' : 'The schema is up to date',
    );
    return;
  }
  const pending = await pendingMigrations(databaseUrl);
  if (pending.length > 0) {
    throw new Error(
      `${pending.length} migration(s) pending (${pending.join(', ')}) and MIGRATE_ON_START=false: run ` +
        '`npm run migration:run` (or `node dist/libs/database/src/cli.js run` in the image) first',
    );
  }
  log.info({ ms: Date.now() - t }, 'The schema is up to date (MIGRATE_ON_START=false)');
}

/** Takes down what is running: HTTP (answering what is in flight), then the application, then PostgreSQL. */
async function stop(running: Running, log: Logger): Promise<void> {
  if (running.requests) {
    const t = Date.now();
    const { inFlight, answered } = await running.requests.drain();
    log.info(
      { inFlight, answered, ms: Date.now() - t },
      'HTTP server closed: every request in flight was answered',
    );
  }
  if (running.app) {
    const t = Date.now();
    // Nest's destroy and shutdown hooks: timers stop, pending activity summaries are written, the pool closes.
    await running.app.close();
    log.info({ ms: Date.now() - t }, 'Application closed (database connections closed)');
  }
  if (running.embedded) {
    const t = Date.now();
    const { exitCode } = await running.embedded.stop();
    if (exitCode !== 0) throw new Error(`the embedded PostgreSQL exited with code ${exitCode}`);
    log.info({ ms: Date.now() - t }, 'Embedded PostgreSQL stopped (fast shutdown with a checkpoint)');
  }
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  // Synchronous: few lines, and none may be lost to the process.exit() that ends a shutdown.
  const log = pino({ level: config.logLevel, name: 'rollcall' }, pino.destination({ dest: 1, sync: true }));
  const running: Running = {};

  // This is the one place that reacts to signals, from the very start: a signal during the start lets the
  // current step finish, then stops what is up. A second signal is logged and ignored (npm forwards the
  // terminal's Ctrl-C, so one Ctrl-C under `npm start` arrives twice); the timeout is the only way out early.
  let stopping: string | undefined;
  let starting: Promise<void> = Promise.resolve();
  const onSignal = (signal: string) => {
    if (stopping) {
      log.warn(
        { signal, first: stopping, timeoutMs: SHUTDOWN_TIMEOUT_MS },
        'Already shutting down: signal ignored (the shutdown exits with 1 if it has not finished in time)',
      );
      return;
    }
    stopping = signal;
    const t = Date.now();
    log.info(
      { signal, inFlight: running.requests?.inFlight ?? 0, timeoutMs: SHUTDOWN_TIMEOUT_MS },
      'Shutting down: refusing new connections, finishing the requests in flight',
    );
    setTimeout(() => {
      log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'Shutdown timed out: exiting with 1');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    void starting
      .catch(() => undefined)
      .then(() => stop(running, log))
      .then(
        () => {
          log.info({ signal, shutdownMs: Date.now() - t }, 'Stopped');
          process.exit(0);
        },
        (e: unknown) => {
          log.error({ err: e }, 'Shutdown failed: exiting with 1');
          process.exit(1);
        },
      );
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, () => onSignal(signal));

  starting = start(config, log, running, () => stopping !== undefined);
  try {
    await starting;
  } catch (e) {
    if (stopping) return; // the shutdown under way takes down what did start, and exits
    await running.app?.close().catch(() => undefined);
    await running.embedded?.stop().catch(() => undefined);
    throw e;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`Rollcall failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
