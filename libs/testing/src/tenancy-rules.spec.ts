import { routingViolations } from './tenancy-rules';

const TABLES = new Set(['scim_users', 'groups', 'group_members', 'scim_integrations']);
const check = (sql: string) => routingViolations(sql, TABLES);

describe(routingViolations.name, () => {
  it.each([
    ['a parameter', 'SELECT id FROM scim_users WHERE tenant_id = $1 AND id = $2'],
    [
      'a constant, through a cast',
      `SELECT id FROM scim_users u WHERE u.tenant_id = '0f8fad5b-d9cb-469f-a165-70867728950e'::uuid`,
    ],
    [
      'a join on tenant_id',
      'SELECT u.id FROM group_members m JOIN scim_users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id WHERE m.tenant_id = $1',
    ],
    [
      'a chain of joins',
      'SELECT 1 FROM groups g JOIN group_members m ON m.tenant_id = g.tenant_id JOIN scim_users u ON u.tenant_id = m.tenant_id WHERE g.tenant_id = $1',
    ],
    [
      'a correlated sub-query',
      'SELECT g.id, (SELECT count(*) FROM group_members m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id) FROM groups g WHERE g.tenant_id = $1',
    ],
    [
      'an insert naming tenant_id',
      'INSERT INTO scim_users (tenant_id, integration_id, user_name) VALUES ($1, $2, $3)',
    ],
    [
      'an insert from a pinned select',
      'INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, $2, u.id FROM scim_users u WHERE u.tenant_id = $1',
    ],
    [
      'a pinned update with FROM',
      'UPDATE groups g SET name = $3 FROM scim_integrations i WHERE g.tenant_id = $1 AND i.tenant_id = g.tenant_id AND g.id = $2',
    ],
    [
      'a pinned delete with a CTE',
      'WITH gone AS (DELETE FROM scim_users WHERE tenant_id = $1 AND id = $2 RETURNING id) SELECT count(*) FROM gone',
    ],
    [
      'a left join pinning its right side from its pinned left side',
      'SELECT 1 FROM groups g LEFT JOIN scim_integrations i ON i.tenant_id = g.tenant_id AND i.id = g.integration_id WHERE g.tenant_id = $1',
    ],
    [
      'a right join pinning its left side from its pinned right side',
      'SELECT 1 FROM scim_integrations i RIGHT JOIN groups g ON i.tenant_id = g.tenant_id WHERE g.tenant_id = $1',
    ],
    [
      'an outer join whose nullable side the WHERE clause pins',
      'SELECT 1 FROM groups g LEFT JOIN scim_integrations i ON i.id = g.integration_id WHERE i.tenant_id = $1 AND g.tenant_id = i.tenant_id',
    ],
    ['tables that are not tenant-owned', 'SELECT id FROM tenants ORDER BY created_at LIMIT 10'],
  ])('accepts a statement pinned by %s', async (_name, sql) => {
    expect(await check(sql)).toEqual([]);
  });

  it.each([
    [
      'no tenant_id at all',
      'SELECT id FROM scim_users WHERE id = $1',
      ['scim_users is not pinned to one tenant'],
    ],
    [
      'tenant_id only in the select list',
      'SELECT tenant_id FROM scim_users WHERE id = $1',
      ['scim_users is not pinned to one tenant'],
    ],
    [
      'tenant_id under OR',
      'SELECT 1 FROM scim_users u WHERE u.tenant_id = $1 OR u.id = $2',
      ['scim_users (u) is not pinned to one tenant'],
    ],
    [
      'tenant_id against a list',
      'SELECT 1 FROM scim_users u WHERE u.tenant_id = ANY($1::uuid[])',
      ['scim_users (u) is not pinned to one tenant'],
    ],
    [
      'a join that drops tenant_id',
      'SELECT 1 FROM group_members m JOIN scim_users u ON u.id = m.user_id WHERE m.tenant_id = $1',
      ['scim_users (u) is not pinned to one tenant'],
    ],
    [
      'an unpinned sub-query',
      'SELECT 1 FROM groups g WHERE g.tenant_id = $1 AND EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id)',
      ['group_members (m) is not pinned to one tenant'],
    ],
    [
      'an insert without tenant_id',
      'INSERT INTO groups (name) VALUES ($1)',
      ['INSERT INTO groups without tenant_id'],
    ],
    [
      'an unpinned update',
      'UPDATE scim_users SET active = false WHERE id = $1',
      ['scim_users is not pinned to one tenant'],
    ],
    [
      "a left join's condition, which does not pin its left side",
      'SELECT 1 FROM groups g LEFT JOIN scim_integrations i ON i.tenant_id = $1 AND i.tenant_id = g.tenant_id',
      ['groups (g) is not pinned to one tenant'],
    ],
    [
      "a left join's condition pinning only its left side",
      'SELECT 1 FROM groups g LEFT JOIN scim_integrations i ON g.tenant_id = $1 AND i.tenant_id = g.tenant_id',
      ['groups (g) is not pinned to one tenant', 'scim_integrations (i) is not pinned to one tenant'],
    ],
    [
      "a right join's condition, which does not pin its right side",
      'SELECT 1 FROM groups g RIGHT JOIN scim_integrations i ON g.tenant_id = $1 AND g.tenant_id = i.tenant_id',
      ['scim_integrations (i) is not pinned to one tenant'],
    ],
    [
      "a full join's condition, which pins neither side",
      'SELECT 1 FROM groups g FULL JOIN scim_integrations i ON g.tenant_id = $1 AND i.tenant_id = $1',
      ['groups (g) is not pinned to one tenant', 'scim_integrations (i) is not pinned to one tenant'],
    ],
    [
      'an unpinned sub-query in a join condition',
      'SELECT 1 FROM groups g JOIN scim_integrations i ON i.tenant_id = g.tenant_id AND i.id IN (SELECT integration_id FROM scim_users) WHERE g.tenant_id = $1',
      ['scim_users is not pinned to one tenant'],
    ],
    [
      'an unpinned CTE',
      'WITH x AS (SELECT id FROM groups) SELECT 1 FROM scim_users u, x WHERE u.tenant_id = $1',
      ['groups is not pinned to one tenant'],
    ],
  ])('refuses a statement with %s', async (_name, sql, expected) => {
    expect(await check(sql)).toEqual(expected);
  });
});
