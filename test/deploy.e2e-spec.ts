import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { CONFIG_VARIABLES, loadConfig } from '@rollcall/common';
import { MIGRATIONS } from '@rollcall/database';
import { freshDatabase, queryOn } from './fixtures/database';
import { freePort } from './fixtures/http';
import { spawnServer } from './fixtures/server';

/**
 * The deployment files, read (no Docker engine runs here): the Dockerfile, docker-compose.yml and the load
 * balancer's configuration agree with each other and with what the server reads; and the image's commands —
 * the migration step and the server's CMD — work on a build made as the Dockerfile makes it, with production
 * dependencies only.
 */

const REPO = process.cwd();
const NAMES = MIGRATIONS.map((m) => new m().name as string);

interface Stage {
  /** `COPY <sources…> <destination>` of the stage, without `--from`. */
  copies: { sources: string[]; destination: string }[];
  copiesFromBuild: string[];
  runs: string[];
  env: Record<string, string>;
  user?: string;
  cmd?: string[];
  healthcheck?: string;
}

/** The Dockerfile's stages, in order: what each copies, runs and sets (line continuations joined). */
function dockerfileStages(): Stage[] {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const stages: Stage[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (instruction === 'FROM') {
      stages.push({ copies: [], copiesFromBuild: [], runs: [], env: {} });
      continue;
    }
    const stage = stages.at(-1)!;
    if (instruction === 'COPY' && rest[0].startsWith('--from=')) stage.copiesFromBuild.push(rest[1]);
    else if (instruction === 'COPY')
      stage.copies.push({ sources: rest.slice(0, -1), destination: rest.at(-1)! });
    else if (instruction === 'RUN') stage.runs.push(args);
    else if (instruction === 'USER') stage.user = args;
    else if (instruction === 'CMD') stage.cmd = JSON.parse(args) as string[];
    else if (instruction === 'HEALTHCHECK') stage.healthcheck = /CMD (.*)$/.exec(args)?.[1];
    else if (instruction === 'ENV') {
      for (const [, key, value] of args.matchAll(/(\w+)=(\S+)/g)) stage.env[key] = value;
    }
  }
  return stages;
}

type Service = Record<string, unknown> & {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  restart?: string;
};

/** docker-compose.yml as Compose reads it (YAML merge keys included). */
function composeServices(): Record<string, Service> {
  const text = readFileSync(join(REPO, 'docker-compose.yml'), 'utf8');
  const doc = load(text, { schema: CORE_SCHEMA.withTags(mergeTag) }) as { services: Record<string, Service> };
  return doc.services;
}

/** A Compose value with `${VAR:-default}` taken as its default and `${VAR:?message}` as a sample secret. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, kind?: string, rest?: string) =>
    kind === '-' ? (rest ?? '') : `sample-${name.toLowerCase()}-${'x'.repeat(32)}`,
  );
}

describe('the deployment files, read', () => {
  const services = composeServices();
  const [build, runtime] = dockerfileStages();

  it('runs PostgreSQL, a migration step, two API instances and a load balancer', () => {
    expect(Object.keys(services).sort()).toEqual(['api1', 'api2', 'db', 'lb', 'migrate']);
    expect(services.db.healthcheck?.test?.join(' ')).toContain('pg_isready');
    // Only the balancer is published; PostgreSQL and the instances are reached inside the network.
    expect(Object.entries(services).filter(([, s]) => s.ports)).toEqual([['lb', services.lb]]);
  });

  it('migrates in a step of its own, with the command the image holds, once the database is healthy', () => {
    const migrate = services.migrate;
    expect(migrate.command).toEqual(['node', 'dist/libs/database/src/cli.js', 'run']);
    expect(existsSync(join(REPO, 'libs/database/src/cli.ts'))).toBe(true);
    expect(migrate.restart).toBe('no');
    expect(migrate.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(migrate.healthcheck).toEqual({ disable: true });
    expect(migrate.environment?.DATABASE_URL).toBe(services.api1.environment?.DATABASE_URL);
    expect(migrate.environment?.DATABASE_URL).toMatch(/@db:5432\//);
  });

  it.each(['api1', 'api2'])(
    '%s: the same image, started after the migration, with a configuration the server accepts',
    (name) => {
      const api = services[name];
      for (const s of [services.migrate, api]) expect([s.image, s.build]).toEqual([services.api1.image, '.']);
      expect(api.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
      const env = Object.fromEntries(
        Object.entries(api.environment ?? {}).map(([k, v]) => [k, interpolate(v)]),
      );
      expect(Object.keys(env).filter((key) => !CONFIG_VARIABLES.includes(key))).toEqual([]);
      const config = loadConfig(env);
      expect(config.migrateOnStart).toBe(false);
      expect(config.databaseUrl).toBeDefined();
      expect(config.operatorToken).toBeDefined();
      // Metrics on a port of their own, reachable inside the network only (exposed, never published).
      expect(config.metrics).toEqual({ port: 9464, host: '0.0.0.0' });
      expect(api.expose).toEqual([String(config.port), String(config.metrics!.port)]);
      expect(api.ports).toBeUndefined();
      expect(api.healthcheck?.test?.join(' ')).toContain(`http://127.0.0.1:${config.port}/health`);
      expect(api.stop_grace_period).toBe('20s');
    },
  );

  it('balances over both instances with health checks, passing client addresses and headers through', () => {
    const lb = services.lb;
    expect(lb.image).toMatch(/^haproxy:/);
    const [source, target] = lb.volumes![0].split(':');
    expect(target).toBe('/usr/local/etc/haproxy/haproxy.cfg');
    const cfg = readFileSync(join(REPO, source), 'utf8');
    const port = loadConfig(
      Object.fromEntries(
        Object.entries(services.api1.environment ?? {}).map(([k, v]) => [k, interpolate(v)]),
      ),
    ).port;
    expect(cfg).toMatch(new RegExp(`^\\s*server api1 api1:${port}$`, 'm'));
    expect(cfg).toMatch(new RegExp(`^\\s*server api2 api2:${port}$`, 'm'));
    expect(cfg).toMatch(/^\s*default-server check /m);
    expect(cfg).toMatch(/^\s*http-check send meth GET uri \/health$/m);
    expect(cfg).toMatch(/^\s*option forwardfor$/m);
    expect(cfg).toMatch(/^\s*retry-on conn-failure$/m);
    // No body limit and no buffering at the balancer: the instances check bodies themselves.
    expect(cfg).not.toMatch(/http-buffer-request|req\.body_size/);
    const [published] = lb.ports!;
    const bind = /^\s*bind :(\d+)$/m.exec(cfg)?.[1];
    expect(published.split(':').at(-1)).toBe(bind);
    expect(lb.healthcheck?.test).toEqual([
      'CMD',
      'wget',
      '-q',
      '-O',
      '/dev/null',
      `http://127.0.0.1:${bind}/health`,
    ]);
  });

  it('builds with the dev tools and runs without them, as an unprivileged user', () => {
    // `npm run build`: the server (nest build), then the admin portal (dist/portal).
    expect(build.runs.join(' && ')).toMatch(/npm ci .*&& npm run build && npm prune --omit=dev/);
    const scripts = (
      JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.build).toBe('nest build && npm run build:portal');
    expect(runtime.runs.join(' ')).not.toMatch(/npm (ci|install)/);
    expect(runtime.copiesFromBuild.sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package.json']);
    expect(runtime.user).toBe('node');
    expect(runtime.cmd).toEqual([
      'node',
      '--max-semi-space-size=4',
      '--max-old-space-size=128',
      'dist/apps/api/src/main.js',
    ]);
    expect(runtime.healthcheck).toContain('/health');
  });
});

/** Runs `node <args>` to its end. */
function runNode(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error.code as number | undefined) ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a command to its end; fails with its output unless it exits 0. */
function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`))
        : resolve(),
    );
  });
}

describe('the image’s commands, on a build made as the Dockerfile makes it (without Docker)', () => {
  let work: string;
  /** WORKDIR /app of the runtime stage: package.json, dist, production node_modules. */
  let app: string;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  const [build, runtime] = dockerfileStages();
  const operatorToken = 'o'.repeat(40);

  /** The runtime stage's environment: its ENV, and what a deploy sets. Nothing of this test process leaks in. */
  const imageEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    ...runtime.env,
    DATABASE_URL: db.url,
    ...extra,
  });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rollcall-image-'));
    // The build stage: its sources (the Dockerfile's COPY lines) and its dev dependencies, then `nest build`.
    const source = join(work, 'build');
    mkdirSync(source);
    for (const { sources, destination } of build.copies) {
      for (const path of sources) {
        const into = destination === './' ? join(source, path) : join(source, destination);
        cpSync(join(REPO, path), into, { recursive: true });
      }
    }
    symlinkSync(join(REPO, 'node_modules'), join(source, 'node_modules'), 'dir');
    await run(process.execPath, [join(REPO, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], source);
    // npm run build's second half: the admin portal, from the same copied sources.
    const vite = join(REPO, 'node_modules/vite/bin/vite.js');
    await run(process.execPath, [vite, 'build', '--config', 'apps/portal/vite.config.ts'], source);
    // The runtime stage: package.json, dist and the production dependencies only (what `npm prune --omit=dev`
    // leaves, installed from the same lock file into a folder of its own).
    app = join(work, 'app');
    mkdirSync(app);
    cpSync(join(REPO, 'package.json'), join(app, 'package.json'));
    cpSync(join(REPO, 'package-lock.json'), join(app, 'package-lock.json'));
    await run(
      'npm',
      [
        'ci',
        '--omit=dev',
        '--ignore-scripts',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
      ],
      app,
    );
    rmSync(join(app, 'package-lock.json'));
    renameSync(join(source, 'dist'), join(app, 'dist'));
    db = await freshDatabase('rollcall_image');
  }, 600_000);

  afterAll(async () => {
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds no development tools', () => {
    // (typescript and ts-node stay: optional peers of @nestjs/swagger and typeorm, which never load them here.)
    for (const dev of [
      '@nestjs/cli',
      '@nestjs/testing',
      'tsconfig-paths',
      'jest',
      'eslint',
      'prettier',
      'supertest',
    ]) {
      expect(existsSync(join(app, 'node_modules', dev))).toBe(false);
    }
    for (const prod of ['pg', 'prom-client', '@nestjs/core', 'typeorm']) {
      expect(existsSync(join(app, 'node_modules', prod))).toBe(true);
    }
  });

  it('the server with MIGRATE_ON_START=false refuses a database that is behind, naming the command to run', async () => {
    const server = spawnServer(runtime.cmd!.slice(1), {
      cwd: app,
      env: imageEnv({
        MIGRATE_ON_START: 'false',
        PORT: String(await freePort()),
        ROLLCALL_OPERATOR_TOKEN: operatorToken,
      }),
    });
    expect((await server.exit).code).toBe(1);
    expect(server.stderr()).toContain(`${NAMES.length} migration(s) pending`);
    expect(server.stderr()).toContain('node dist/libs/database/src/cli.js run');
  });

  it('the migration command applies every migration, and a second run finds nothing to do', async () => {
    const cli = ['dist/libs/database/src/cli.js', 'run'];
    const first = await runNode(cli, { cwd: app, env: imageEnv({}) });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout.trim()).toBe(`Applied: ${NAMES.join(', ')}`);
    const applied = await queryOn<{ name: string }>(db.url, 'SELECT name FROM migrations ORDER BY id');
    expect(applied.map((r) => r.name)).toEqual(NAMES);

    const second = await runNode(cli, { cwd: app, env: imageEnv({}) });
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout.trim()).toBe('No pending migrations');
    expect(await queryOn(db.url, 'SELECT name FROM migrations')).toHaveLength(NAMES.length);
  });

  it('the CMD serves on the migrated database: /health, the HEALTHCHECK and metrics answer; SIGTERM stops it', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const server = spawnServer(runtime.cmd!.slice(1), {
      cwd: app,
      env: imageEnv({
        MIGRATE_ON_START: 'false',
        PORT: String(port),
        ROLLCALL_OPERATOR_TOKEN: operatorToken,
        LOG_LEVEL: 'info',
        METRICS_PORT: String(metricsPort),
      }),
    });
    try {
      const lines = await server.listening;
      expect(lines.map((l) => l.msg)).toContain('The schema is up to date (MIGRATE_ON_START=false)');
      expect(lines.find((l) => l.msg === 'Rollcall is listening')?.metrics).toMatchObject({
        address: '127.0.0.1',
        port: metricsPort,
      });
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
      // The admin portal, built in the build stage, served from dist/portal.
      const portal = await fetch(`http://127.0.0.1:${port}/portal/`);
      expect(portal.status).toBe(200);
      expect(await portal.text()).toMatch(/<script type="module" crossorigin src="\/portal\/assets\//);
      // The image's HEALTHCHECK command, as Docker runs it in the container (PORT from its environment).
      const check = /^node -e "(.*)"$/.exec(runtime.healthcheck!)![1];
      const env = imageEnv({ PORT: String(port) });
      expect((await runNode(['-e', check], { cwd: app, env })).code).toBe(0);
    } finally {
      expect(await server.stop()).toEqual({ code: 0, signal: null });
    }
    expect(server.stderr()).toBe('');
    const check = /^node -e "(.*)"$/.exec(runtime.healthcheck!)![1];
    expect((await runNode(['-e', check], { cwd: app, env: imageEnv({ PORT: String(port) }) })).code).toBe(1);
  });
});
