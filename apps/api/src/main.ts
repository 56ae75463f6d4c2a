import 'reflect-metadata';
import pino from 'pino';
import { resolve } from 'node:path';
import { type AppConfig, ConfigError, loadConfig } from '@rollcall/common';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '@rollcall/database';
import { createApp } from './app';
import { ensureOperatorTokenFile } from './operator-token';

const SHUTDOWN_TIMEOUT_MS = 15_000;

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
  const log = pino({ level: config.logLevel, name: 'rollcall' });
  const started = Date.now();

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const dataDir = resolve(config.dataDir);
    log.info({ dataDir }, 'DATABASE_URL is not set: starting the embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({
      dir: dataDir,
      persistent: true,
      database: 'rollcall',
      onLog: (m) => log.debug({ postgres: m }),
    });
    databaseUrl = embedded.url;
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

  const app = await createApp(config, databaseUrl).catch(async (e: unknown) => {
    await embedded?.stop();
    throw e;
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      log.error('Shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    void (async () => {
      try {
        await app.close();
        await embedded?.stop();
        log.info('Stopped');
        process.exit(0);
      } catch (e) {
        log.error({ err: e }, 'Shutdown failed');
        process.exit(1);
      }
    })();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));

  await app.listen(config.port);
  log.info(
    {
      port: config.port,
      publicUrl: config.publicUrl,
      docs: `${config.publicUrl}/docs`,
      startupMs: Date.now() - started,
    },
    'Rollcall is listening',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`Rollcall failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
