// Starts bench/bare-server.ts as a child process for the ratio mode, and stops it.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { BARE_DATABASE_URL_ENV, BARE_TOKEN_ENV, READY_PREFIX } from './bare-server';

/** The V8 flags `npm start` gives Rollcall: the bare server runs under the same ones. */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=128'];
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface BareLaunchOptions {
  /** Rollcall's DATA_DIR (embedded PostgreSQL), or… */
  dataDir?: string;
  /** …the PostgreSQL URL Rollcall uses. */
  databaseUrl?: string;
  /** 0: a free loopback port. */
  port: number;
}

export interface LaunchedBare {
  url: string;
  token: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The bare server's two files compiled to plain JavaScript in a temporary folder, so that it runs on `node`
 * alone: under ts-node the TypeScript compiler would sit in its heap (tens of MB of RSS, and GC work).
 */
function compile(): { dir: string; entry: string } {
  const dir = mkdtempSync(join(os.tmpdir(), 'rollcall-bare-'));
  for (const name of ['bare-server', 'bare-db']) {
    const source = readFileSync(join(__dirname, `${name}.ts`), 'utf8');
    const out = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
      fileName: `${name}.ts`,
    });
    writeFileSync(join(dir, `${name}.js`), out.outputText);
  }
  return { dir, entry: join(dir, 'bare-server.js') };
}

export async function launchBareServer(o: BareLaunchOptions): Promise<LaunchedBare> {
  const token = `bare_${randomBytes(12).toString('hex')}`;
  const { dir, entry } = compile();
  const args = [...SERVER_NODE_FLAGS, entry, '--host', '127.0.0.1', '--port', String(o.port)];
  if (!o.databaseUrl && o.dataDir) args.push('--data-dir', resolve(o.dataDir));
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: resolve(__dirname, '..'),
    env: {
      ...process.env,
      // `require('pg')` from the temporary folder resolves through the repository's node_modules.
      NODE_PATH: resolve(__dirname, '..', 'node_modules'),
      [BARE_TOKEN_ENV]: token,
      ...(o.databaseUrl ? { [BARE_DATABASE_URL_ENV]: o.databaseUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killOnExit);
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const cleanUp = () => {
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };
  child.stderr?.on('data', (c: Buffer) => process.stderr.write(c));

  let url: string;
  try {
    url = await new Promise<string>((ok, fail) => {
      let out = '';
      const timer = setTimeout(
        () => fail(new Error('the bare server did not start within 60 s')),
        START_TIMEOUT_MS,
      );
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        const line = out.split('\n').find((l) => l.startsWith(READY_PREFIX));
        if (line) {
          clearTimeout(timer);
          ok(line.slice(READY_PREFIX.length).trim());
        }
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        fail(e);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        fail(new Error(`the bare server exited (code ${code}) before listening`));
      });
    });
  } catch (e) {
    child.kill('SIGTERM');
    await exited;
    cleanUp();
    throw e;
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    token,
    pid: child.pid ?? 0,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
        cleanUp();
      })()),
  };
}
