// Where the embedded PostgreSQL of a running Rollcall server listens, read from its DATA_DIR, so that the bare
// server (bench/bare-server.ts) connects to the same database, the same way (libs/database/src/embedded-postgres.ts).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The database Rollcall creates in its embedded cluster (apps/api/src/main.ts). */
export const EMBEDDED_DATABASE = 'rollcall';

/**
 * The URL Rollcall itself uses for the embedded PostgreSQL started from `dataDir`:
 * `postgres://postgres:<DATA_DIR/pg-password>@127.0.0.1:<port>/rollcall?host=<cluster folder>` — the Unix
 * socket in the cluster folder when the server has one (it does unless the folder's path is too long for a
 * socket), loopback TCP otherwise. The port and socket folder change at every start: they are read from the
 * cluster's postmaster.pid (line 4: port, line 5: first socket directory), so Rollcall must be running.
 */
export function embeddedDatabaseUrl(dataDir: string): string {
  const dir = resolve(dataDir);
  const passwordFile = join(dir, 'pg-password');
  if (!existsSync(passwordFile)) {
    throw new Error(
      `${passwordFile} not found: is ${dir} the DATA_DIR of a Rollcall server on the embedded PostgreSQL?`,
    );
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  // As root, DATA_DIR/pg is a link to the cluster under /var/lib/rollcall; realpath follows it.
  const clusterDir = realpathSync(join(dir, 'pg'));
  let lines: string[];
  try {
    lines = readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    throw new Error(
      `no PostgreSQL is running on ${clusterDir} (no postmaster.pid): start the Rollcall server first`,
    );
  }
  const port = Number(lines[3]);
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`${clusterDir}/postmaster.pid: no port on line 4`);
  const socketDir = (lines[4] ?? '').trim();
  const credentials = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
  return socketDir ? `${credentials}?host=${encodeURIComponent(socketDir)}` : credentials;
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
