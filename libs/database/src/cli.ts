/**
 * Migration commands: `generate <name>`, `run`, `revert`.
 * With DATABASE_URL they act on that database. Without it, `run` and `revert` act on the embedded
 * database in DATA_DIR (stop the server first), and `generate` diffs the entities against a throwaway
 * embedded database with every migration applied, so the result holds only what is new.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres';
import { revertLastMigration, runMigrations } from './migrate';
import { schemaDiff } from './schema-diff';

async function database(throwaway: boolean): Promise<{ url: string; db?: EmbeddedDatabase; dir?: string }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL };
  const dir = throwaway
    ? mkdtempSync(join(tmpdir(), 'rollcall-migrate-'))
    : (process.env.DATA_DIR ?? './.data');
  const db = await startEmbeddedPostgres({ dir, persistent: !throwaway, database: 'rollcall' });
  return { url: db.url, db, dir: throwaway ? dir : undefined };
}

function quote(sql: string): string {
  return '`' + sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';
}

async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (command === 'generate' && !/^[a-z][a-z0-9-]*$/.test(name ?? '')) {
    throw new Error('usage: npm run migration:generate -- <kebab-case-name>');
  }
  if (!['generate', 'run', 'revert'].includes(command ?? ''))
    throw new Error('usage: cli.ts generate <name> | run | revert');
  const { url, db, dir } = await database(command === 'generate');
  try {
    if (command === 'run') {
      const done = await runMigrations(url);
      console.log(done.length ? `Applied: ${done.join(', ')}` : 'No pending migrations');
    } else if (command === 'revert') {
      await revertLastMigration(url);
      console.log('Reverted the last migration');
    } else {
      await runMigrations(url);
      const diff = await schemaDiff(url);
      if (diff.up.length === 0) {
        console.log('No changes: the migrations already match the entities');
        return;
      }
      const timestamp = Date.now();
      const className = name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase()) + timestamp;
      const file = join(__dirname, 'migrations', `${timestamp}-${name}.ts`);
      const up = diff.up.map((q) => `    await queryRunner.query(${quote(q)});`).join('\n');
      const down = [...diff.down]
        .reverse()
        .map((q) => `    await queryRunner.query(${quote(q)});`)
        .join('\n');
      writeFileSync(
        file,
        `import type { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${className} implements MigrationInterface {\n  name = '${className}';\n\n  async up(queryRunner: QueryRunner): Promise<void> {\n${up}\n  }\n\n  async down(queryRunner: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`,
      );
      console.log(`Wrote ${file}; add it to libs/database/src/migrations/index.ts`);
    }
  } finally {
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
