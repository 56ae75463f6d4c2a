import { scimResourceOf } from './scim-request.decorator';

const ID = '3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e6f';

describe(scimResourceOf.name, () => {
  it.each([
    ['/Users', { resourceType: 'User' }],
    [`/Users/${ID}`, { resourceType: 'User', resourceId: ID }],
    [`/groups/${ID}/`, { resourceType: 'Group', resourceId: ID }],
    [`/GROUPS/${ID}/more`, { resourceType: 'Group', resourceId: ID }],
    ['/Users/.search', { resourceType: 'User' }],
    ['/Users/not-an-id', { resourceType: 'User' }],
    ['/Usersx', {}],
    ['/Bulk', {}],
    [`/Schemas/${ID}`, {}],
    ['/', {}],
  ])('%s names %j', (path, ref) => {
    const found = scimResourceOf(path);
    expect({ resourceType: found.resourceType, resourceId: found.resourceId }).toEqual({
      resourceType: undefined,
      resourceId: undefined,
      ...ref,
    });
  });
});
