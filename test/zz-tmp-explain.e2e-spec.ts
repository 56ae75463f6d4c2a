import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import { insertUsers, createGroup, oktaMembers } from './fixtures/groups/helpers';
import { oktaCreateGroup, oktaReplaceMembers } from './fixtures/groups/okta';
import { scimClient } from './fixtures/scim';

it('times', async () => {
  const t: TestApp = await createTestApp();
  const dir = await createScimDirectory(t, 'okta');
  const users = await insertUsers(t, dir.tenant.id, dir.integration.id, 3000, 'x');
  const scim = scimClient(t, dir.integration.token);
  const g = await createGroup(scim, oktaCreateGroup('E'));
  for (const n of [500, 1000, 2000]) {
    let t0 = Date.now();
    const r1 = await scim.patch(`/Groups/${g.id}?excludedAttributes=members`, oktaReplaceMembers(oktaMembers(users.slice(0, n))));
    console.log('patch', n, r1.status, Date.now() - t0);
    t0 = Date.now();
    const r2 = await scim.put(`/Groups/${g.id}?excludedAttributes=members`, oktaCreateGroup('E', oktaMembers(users.slice(0, n))));
    console.log('put', n, r2.status, Date.now() - t0);
    t0 = Date.now();
    const r3 = await scim.post(`/Groups?excludedAttributes=members`, oktaCreateGroup('E' + n, oktaMembers(users.slice(0, n))));
    console.log('post', n, r3.status, Date.now() - t0);
  }
  await t.close();
}, 120000);
