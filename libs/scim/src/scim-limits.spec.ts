import { randomUUID } from 'node:crypto';
import { COMMON_ATTRIBUTES, USER_RESOURCE } from './schema';
import {
  GROUP_PAGE_MEMBERS,
  limitExceeded,
  MAX_ATTRIBUTE_LIST_LENGTH,
  MAX_GROUP_MEMBERS,
  MAX_MEMBERS_PER_REQUEST,
  MAX_PATCH_OPERATIONS,
  USER_PAGE_BYTES,
} from './scim-limits';
import { ScimException } from './scim.exception';

const DEFAULT_BODY_LIMIT = 1024 * 1024;

describe('SCIM input limits', () => {
  it('refuses with 400 invalidValue and the detail given', () => {
    const error = limitExceeded('The PATCH request has 1001 operations; the limit is 1000.');
    expect(error).toBeInstanceOf(ScimException);
    expect(error).toMatchObject({
      status: 400,
      scimType: 'invalidValue',
      detail: 'The PATCH request has 1001 operations; the limit is 1000.',
    });
  });

  it('lets attributes list every User attribute and sub-attribute, each schema-qualified', () => {
    const paths = [USER_RESOURCE.coreSchema, ...USER_RESOURCE.extensions].flatMap((schema) =>
      [...schema.attributes, ...(schema === USER_RESOURCE.coreSchema ? COMMON_ATTRIBUTES : [])].flatMap(
        (a) => [
          `${schema.id}:${a.name}`,
          ...(a.subAttributes ?? []).map((sub) => `${schema.id}:${a.name}.${sub.name}`),
        ],
      ),
    );
    expect(paths.join(',').length).toBeLessThan(MAX_ATTRIBUTE_LIST_LENGTH);
  });

  it('lets a group PUT carry every member that fits in the default body', () => {
    // The most members a body can hold: bare ids, the shortest form a member takes.
    const perMember = JSON.stringify(randomUUID()).length + 1;
    expect(Math.ceil(DEFAULT_BODY_LIMIT / perMember)).toBeLessThan(MAX_MEMBERS_PER_REQUEST);
  });

  it('lets a PATCH carry far more operations than identity providers send', () => {
    // Okta and Entra send at most a few hundred; the benchmark sends 100 members per PATCH.
    expect(MAX_PATCH_OPERATIONS).toBeGreaterThanOrEqual(1000);
  });

  it('lets one PUT replace the members of a group at its limit', () => {
    expect(MAX_GROUP_MEMBERS).toBeLessThanOrEqual(MAX_MEMBERS_PER_REQUEST);
  });

  it('never cuts a page of 1,000 users of the usual size, and holds several of the largest', () => {
    // IdP users take 1 to 3 KB of JSON; the largest a body can carry, the default body limit.
    expect(1000 * 3 * 1024).toBeLessThanOrEqual(USER_PAGE_BYTES);
    expect(USER_PAGE_BYTES / DEFAULT_BODY_LIMIT).toBeGreaterThanOrEqual(4);
  });

  it('lets a page of groups hold a group of thousands of members with others', () => {
    expect(GROUP_PAGE_MEMBERS).toBeGreaterThanOrEqual(10_000);
    expect(GROUP_PAGE_MEMBERS).toBeLessThanOrEqual(MAX_GROUP_MEMBERS);
  });
});
