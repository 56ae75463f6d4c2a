import { MAX_ATTRIBUTE_LIST_LENGTH } from './scim-limits';
import { parseListQuery, parseSearchRequest } from './scim-list';
import { SCIM_SCHEMAS } from './schema';
import { ScimException } from './scim.exception';

function scimError(fn: () => unknown): ScimException {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimException) return error;
    throw error;
  }
  throw new Error('expected a ScimException');
}

describe('parseListQuery', () => {
  it('reads the parameters in any casing, count capped at maxResults', () => {
    expect(
      parseListQuery({ Filter: 'userName pr', startindex: '0', COUNT: '5000', sortBy: 'userName' }, 1000),
    ).toEqual({
      filter: 'userName pr',
      startIndex: 1,
      count: 1000,
      sortBy: 'userName',
      sortOrder: undefined,
      attributes: undefined,
      excludedAttributes: undefined,
    });
  });

  it('refuses a sortBy longer than MAX_ATTRIBUTE_LIST_LENGTH before it is resolved', () => {
    const atLimit = 'a'.repeat(MAX_ATTRIBUTE_LIST_LENGTH);
    expect(parseListQuery({ sortBy: atLimit }, 100).sortBy).toBe(atLimit);
    const error = scimError(() =>
      parseSearchRequest({ schemas: [SCIM_SCHEMAS.searchRequest], sortBy: `${atLimit}b` }, 100),
    );
    expect(error).toMatchObject({
      status: 400,
      scimType: 'invalidValue',
      detail: "'sortBy' has 8193 characters; the limit is 8192 characters.",
    });
  });
});
