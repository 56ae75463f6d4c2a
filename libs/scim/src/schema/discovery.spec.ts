import { SCIM_SCHEMAS } from './scim-schema.types';
import { resourceTypes, schemasDocuments, serviceProviderConfig } from './discovery';

const BASE = 'http://host/scim/v2';

describe('discovery documents', () => {
  it('describes the service provider truthfully', () => {
    const doc = serviceProviderConfig(`${BASE}/`, {
      maxResults: 200,
      bulk: { maxOperations: 1000, maxPayloadSize: 2097152 },
    });
    expect(doc).toMatchObject({
      schemas: [SCIM_SCHEMAS.serviceProviderConfig],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 2097152 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: true },
      sort: { supported: true },
      etag: { supported: true },
      meta: { resourceType: 'ServiceProviderConfig', location: `${BASE}/ServiceProviderConfig` },
    });
    expect(doc.authenticationSchemes).toEqual([
      expect.objectContaining({ type: 'oauthbearertoken', primary: true }),
    ]);
  });

  it('lists the User and Group resource types', () => {
    expect(resourceTypes(BASE)).toEqual([
      {
        schemas: [SCIM_SCHEMAS.resourceType],
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'User Account',
        schema: SCIM_SCHEMAS.user,
        schemaExtensions: [{ schema: SCIM_SCHEMAS.enterpriseUser, required: false }],
        meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/User` },
      },
      {
        schemas: [SCIM_SCHEMAS.resourceType],
        id: 'Group',
        name: 'Group',
        endpoint: '/Groups',
        description: 'Group',
        schema: SCIM_SCHEMAS.group,
        schemaExtensions: [],
        meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/Group` },
      },
    ]);
  });

  it('serves each schema once with its location', () => {
    const docs = schemasDocuments(BASE);
    expect(docs.map((d) => d.id)).toEqual([
      SCIM_SCHEMAS.user,
      SCIM_SCHEMAS.enterpriseUser,
      SCIM_SCHEMAS.group,
    ]);
    for (const doc of docs) {
      expect(doc.schemas).toEqual([SCIM_SCHEMAS.schema]);
      expect(doc.meta).toEqual({ resourceType: 'Schema', location: `${BASE}/Schemas/${doc.id}` });
      expect(doc.attributes.length).toBeGreaterThan(0);
    }
  });

  it('returns copies that callers cannot use to mutate the definitions', () => {
    const [user] = schemasDocuments(BASE);
    user.attributes[0].name = 'changed';
    expect(schemasDocuments(BASE)[0].attributes[0].name).toBe('userName');
  });
});
