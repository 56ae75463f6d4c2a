import { GROUP_RESOURCE, USER_RESOURCE } from '../schema/scim-schemas';
import type { FilterColumn, FilterTarget } from './filter-compiler';

const column = (sql: string, type: FilterColumn['type'], caseExact: boolean): FilterColumn => ({
  sql,
  type,
  caseExact,
});

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function checkAlias(alias: string): string {
  if (!IDENTIFIER.test(alias)) throw new Error(`Invalid SQL alias: ${alias}`);
  return alias;
}

/** Member alias that cannot collide with the outer table's alias. */
const memberAlias = (outer: string): string => (outer === 'm' ? 'gm' : 'm');

/** `scim_users <alias>`; `groups` resolves through `group_members`. */
export function userFilterTarget(alias = 'u'): FilterTarget {
  const a = checkAlias(alias);
  const m = memberAlias(a);
  return {
    definition: USER_RESOURCE,
    alias: a,
    uniqueColumns: ['userName'],
    json: `${a}.resource`,
    columns: {
      id: column(`${a}.id`, 'uuid', true),
      userName: column(`${a}.user_name`, 'string', false),
      externalId: column(`${a}.external_id`, 'string', true),
      displayName: column(`${a}.display_name`, 'string', false),
      active: column(`${a}.active`, 'boolean', false),
      'meta.created': column(`${a}.created_at`, 'dateTime', false),
      'meta.lastModified': column(`${a}.updated_at`, 'dateTime', false),
    },
    collections: {
      groups: {
        from: `group_members ${m}`,
        join: `${m}.user_id = ${a}.id AND ${m}.tenant_id = ${a}.tenant_id`,
        columns: { value: column(`${m}.group_id`, 'uuid', true) },
      },
    },
  };
}

/** `groups <alias>`; `members` resolves through `group_members`. */
export function groupFilterTarget(alias = 'g'): FilterTarget {
  const a = checkAlias(alias);
  const m = memberAlias(a);
  return {
    definition: GROUP_RESOURCE,
    alias: a,
    uniqueColumns: ['displayName'],
    json: `${a}.resource`,
    columns: {
      id: column(`${a}.id`, 'uuid', true),
      displayName: column(`${a}.name`, 'string', false),
      externalId: column(`${a}.external_id`, 'string', true),
      'meta.created': column(`${a}.created_at`, 'dateTime', false),
      'meta.lastModified': column(`${a}.updated_at`, 'dateTime', false),
    },
    collections: {
      members: {
        from: `group_members ${m}`,
        join: `${m}.group_id = ${a}.id AND ${m}.tenant_id = ${a}.tenant_id`,
        // Groups do not nest: every member is a User.
        columns: {
          value: column(`${m}.user_id`, 'uuid', true),
          type: column(`'User'::text`, 'string', false),
        },
      },
    },
  };
}

export const USER_FILTER_TARGET: FilterTarget = userFilterTarget('u');
export const GROUP_FILTER_TARGET: FilterTarget = groupFilterTarget('g');
