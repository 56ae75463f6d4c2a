import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Each table's one writer (docs/adr/0001-entities-live-in-the-database-lib.md). */
const OWNERS: Record<string, string> = {
  tenants: 'tenancy',
  api_tokens: 'tokens',
  scim_integrations: 'integrations',
  scim_events: 'integrations',
  groups: 'groups',
  group_members: 'groups',
  scim_users: 'scim',
  audit_events: 'audit',
  portal_links: 'tokens',
  portal_sessions: 'tokens',
};

/** Jest runs from the repository's root. */
const ROOT = process.cwd();
const WRITE = new RegExp(
  `\\b(?:INSERT\\s+INTO|UPDATE|DELETE\\s+FROM)\\s+"?(${Object.keys(OWNERS).join('|')})\\b`,
  'gi',
);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'migrations' ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const FILES = [...sources(join(ROOT, 'libs')), ...sources(join(ROOT, 'apps'))].filter(
  (f) => !relative(ROOT, f).startsWith('libs/testing/'),
);

describe('table owners', () => {
  it('finds the sources to check', () => {
    expect(FILES.length).toBeGreaterThan(50);
  });

  it('writes each table only from its owning lib', () => {
    const misplaced: string[] = [];
    const seen = new Set<string>();
    for (const file of FILES) {
      const lib = relative(ROOT, file).split('/')[1];
      for (const [, table] of readFileSync(file, 'utf8').matchAll(WRITE)) {
        seen.add(table.toLowerCase());
        if (OWNERS[table.toLowerCase()] !== lib) misplaced.push(`${relative(ROOT, file)} writes ${table}`);
      }
    }
    expect(misplaced).toEqual([]);
    // Every owner really writes its table (the pattern still finds the statements).
    expect([...seen].sort()).toEqual(Object.keys(OWNERS).sort());
  });

  it('reaches the database one way: SqlService, never TypeORM repositories or managers outside libs/database', () => {
    const other = FILES.filter((f) => !relative(ROOT, f).startsWith('libs/database/')).filter((f) =>
      /\b(InjectDataSource|InjectRepository|EntityManager|getRepository)\b/.test(readFileSync(f, 'utf8')),
    );
    expect(other.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
