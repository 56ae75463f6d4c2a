import { SCIM_SCHEMAS, type ScimAttribute, type ScimSchemaDefinition } from './scim-schema.types';

/** A SCIM resource type: its core schema plus the extensions it may carry (RFC 7643 §6). */
export interface ScimResourceDefinition {
  name: 'User' | 'Group';
  endpoint: string;
  description: string;
  coreSchema: ScimSchemaDefinition;
  extensions: ScimSchemaDefinition[];
}

/** The result of resolving an attribute path against a resource's schemas. */
export interface ResolvedAttribute {
  /** URN of the schema defining the attribute (the core schema for the common attributes). */
  schemaUrn: string;
  attribute: ScimAttribute;
  subAttribute?: ScimAttribute;
  /**
   * Canonical spelling: `userName`, `name.givenName`, `meta.lastModified`, and for extension attributes the
   * fully qualified `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
   */
  canonicalPath: string;
  /** True for `id`, `externalId` and `meta` (RFC 7643 §3.1). */
  common: boolean;
}

type AttributeOptions = Partial<Omit<ScimAttribute, 'name' | 'type' | 'description'>>;

/** Builds an attribute with the RFC 7643 §2.2 defaults. */
function attr(
  name: string,
  type: ScimAttribute['type'],
  description: string,
  options: AttributeOptions = {},
): ScimAttribute {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

function str(name: string, description: string, options: AttributeOptions = {}): ScimAttribute {
  return attr(name, 'string', description, options);
}

function complex(
  name: string,
  description: string,
  subAttributes: ScimAttribute[],
  options: AttributeOptions = {},
): ScimAttribute {
  return attr(name, 'complex', description, { ...options, subAttributes });
}

/** The value/display/type/primary quartet of RFC 7643 §2.4 multi-valued attributes. */
function multiValued(
  name: string,
  description: string,
  options: {
    valueType?: ScimAttribute['type'];
    valueDescription: string;
    types?: string[];
    referenceTypes?: string[];
    mutability?: ScimAttribute['mutability'];
    extra?: ScimAttribute[];
  },
): ScimAttribute {
  const mutability = options.mutability ?? 'readWrite';
  const value = attr('value', options.valueType ?? 'string', options.valueDescription, {
    mutability,
    ...(options.referenceTypes ? { referenceTypes: options.referenceTypes } : {}),
  });
  const typeAttr = str('type', `A label indicating the attribute's function.`, {
    mutability,
    ...(options.types ? { canonicalValues: options.types } : {}),
  });
  return complex(
    name,
    description,
    [
      value,
      str('display', 'A human-readable name, primarily used for display purposes.', { mutability }),
      ...(options.extra ?? []),
      typeAttr,
      attr('primary', 'boolean', `A Boolean value indicating the 'primary' or preferred attribute value.`, {
        mutability,
      }),
    ],
    { multiValued: true, mutability },
  );
}

/** RFC 7643 §3.1 `id`. */
export const ID_ATTRIBUTE: ScimAttribute = str('id', 'Unique identifier for the SCIM resource.', {
  caseExact: true,
  mutability: 'readOnly',
  returned: 'always',
  uniqueness: 'server',
});

/** RFC 7643 §3.1 `externalId`. */
export const EXTERNAL_ID_ATTRIBUTE: ScimAttribute = str(
  'externalId',
  'An identifier for the resource as defined by the provisioning client.',
  { caseExact: true },
);

/** RFC 7643 §3.1 `meta`. */
export const META_ATTRIBUTE: ScimAttribute = complex(
  'meta',
  'Resource metadata.',
  [
    str('resourceType', 'The name of the resource type of the resource.', {
      caseExact: true,
      mutability: 'readOnly',
    }),
    attr('created', 'dateTime', 'The DateTime that the resource was added to the service provider.', {
      mutability: 'readOnly',
    }),
    attr(
      'lastModified',
      'dateTime',
      'The most recent DateTime that the details of this resource were updated.',
      {
        mutability: 'readOnly',
      },
    ),
    attr('location', 'reference', 'The URI of the resource being returned.', {
      caseExact: true,
      mutability: 'readOnly',
      referenceTypes: ['uri'],
    }),
    str('version', 'The version of the resource being returned (an ETag).', {
      caseExact: true,
      mutability: 'readOnly',
    }),
  ],
  { mutability: 'readOnly' },
);

/** The attributes every resource has besides its schemas' (RFC 7643 §3.1). */
export const COMMON_ATTRIBUTES: readonly ScimAttribute[] = [
  ID_ATTRIBUTE,
  EXTERNAL_ID_ATTRIBUTE,
  META_ATTRIBUTE,
];

/** RFC 7643 §4.1 and §8.7.1. */
export const USER_SCHEMA: ScimSchemaDefinition = {
  id: SCIM_SCHEMAS.user,
  name: 'User',
  description: 'User Account',
  attributes: [
    str(
      'userName',
      'Unique identifier for the User, typically used by the user to directly authenticate to the service provider.',
      { required: true, uniqueness: 'server' },
    ),
    complex('name', `The components of the user's real name.`, [
      str('formatted', 'The full name, including all middle names, titles, and suffixes as appropriate.'),
      str('familyName', 'The family name of the User.'),
      str('givenName', 'The given name of the User.'),
      str('middleName', 'The middle name(s) of the User.'),
      str('honorificPrefix', 'The honorific prefix(es) of the User.'),
      str('honorificSuffix', 'The honorific suffix(es) of the User.'),
    ]),
    str('displayName', 'The name of the User, suitable for display to end-users.'),
    str('nickName', 'The casual way to address the user in real life.'),
    attr(
      'profileUrl',
      'reference',
      `A fully qualified URL pointing to a page representing the User's online profile.`,
      {
        referenceTypes: ['external'],
      },
    ),
    str('title', `The user's title, such as "Vice President".`),
    str('userType', 'Used to identify the relationship between the organization and the user.'),
    str('preferredLanguage', `Indicates the User's preferred written or spoken language.`),
    str('locale', `Used to indicate the User's default location for purposes of localizing items.`),
    str('timezone', `The User's time zone in the 'Olson' time zone database format.`),
    attr('active', 'boolean', `A Boolean value indicating the User's administrative status.`),
    str('password', `The User's cleartext password.`, { mutability: 'writeOnly', returned: 'never' }),
    multiValued('emails', 'Email addresses for the user.', {
      valueDescription: 'Email addresses for the user.',
      types: ['work', 'home', 'other'],
    }),
    multiValued('phoneNumbers', 'Phone numbers for the User.', {
      valueDescription: 'Phone number of the User.',
      types: ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
    }),
    multiValued('ims', 'Instant messaging addresses for the User.', {
      valueDescription: 'Instant messaging address for the User.',
      types: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'],
    }),
    multiValued('photos', 'URLs of photos of the User.', {
      valueType: 'reference',
      valueDescription: 'URL of a photo of the User.',
      referenceTypes: ['external'],
      types: ['photo', 'thumbnail'],
    }),
    complex(
      'addresses',
      'A physical mailing address for this User.',
      [
        str('formatted', 'The full mailing address, formatted for display or use with a mailing label.'),
        str('streetAddress', 'The full street address component.'),
        str('locality', 'The city or locality component.'),
        str('region', 'The state or region component.'),
        str('postalCode', 'The zip code or postal code component.'),
        str('country', 'The country name component.'),
        str('type', `A label indicating the attribute's function.`, {
          canonicalValues: ['work', 'home', 'other'],
        }),
        attr('primary', 'boolean', `A Boolean value indicating the 'primary' or preferred attribute value.`),
      ],
      { multiValued: true },
    ),
    multiValued('groups', 'A list of groups to which the user belongs.', {
      valueDescription: `The identifier of the User's group.`,
      mutability: 'readOnly',
      types: ['direct', 'indirect'],
      extra: [
        attr('$ref', 'reference', `The URI of the corresponding 'Group' resource.`, {
          mutability: 'readOnly',
          referenceTypes: ['User', 'Group'],
        }),
      ],
    }),
    multiValued('entitlements', 'A list of entitlements for the User.', {
      valueDescription: 'The value of an entitlement.',
    }),
    multiValued('roles', 'A list of roles for the User.', { valueDescription: 'The value of a role.' }),
    multiValued('x509Certificates', 'A list of certificates issued to the User.', {
      valueType: 'binary',
      valueDescription: 'The value of an X.509 certificate.',
    }),
  ],
};

/** RFC 7643 §4.3 and §8.7.1. */
export const ENTERPRISE_USER_SCHEMA: ScimSchemaDefinition = {
  id: SCIM_SCHEMAS.enterpriseUser,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person.'),
    str('costCenter', 'Identifies the name of a cost center.'),
    str('organization', 'Identifies the name of an organization.'),
    str('division', 'Identifies the name of a division.'),
    str('department', 'Identifies the name of a department.'),
    complex(`manager`, `The User's manager.`, [
      str('value', 'The id of the SCIM resource representing the User’s manager.'),
      attr('$ref', 'reference', 'The URI of the SCIM resource representing the User’s manager.', {
        referenceTypes: ['User'],
      }),
      str('displayName', `The displayName of the User's manager.`, { mutability: 'readOnly' }),
    ]),
  ],
};

/** RFC 7643 §4.2 and §8.7.1. */
export const GROUP_SCHEMA: ScimSchemaDefinition = {
  id: SCIM_SCHEMAS.group,
  name: 'Group',
  description: 'Group',
  attributes: [
    str('displayName', 'A human-readable name for the Group.', { required: true }),
    complex(
      'members',
      'A list of members of the Group.',
      [
        str('value', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
        attr(
          '$ref',
          'reference',
          'The URI corresponding to a SCIM resource that is a member of this Group.',
          {
            mutability: 'immutable',
            referenceTypes: ['User', 'Group'],
          },
        ),
        str('display', 'A human-readable name for the member.', { mutability: 'readOnly' }),
        str('type', 'A label indicating the type of resource, e.g., "User" or "Group".', {
          mutability: 'immutable',
          canonicalValues: ['User', 'Group'],
        }),
      ],
      { multiValued: true },
    ),
  ],
};

export const USER_RESOURCE: ScimResourceDefinition = {
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  coreSchema: USER_SCHEMA,
  extensions: [ENTERPRISE_USER_SCHEMA],
};

export const GROUP_RESOURCE: ScimResourceDefinition = {
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  coreSchema: GROUP_SCHEMA,
  extensions: [],
};

export const ALL_SCHEMAS: readonly ScimSchemaDefinition[] = [
  USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
];

const lower = (s: string): string => s.toLowerCase();

/** Attribute lists by lower-cased name, built once per list: lookups run for every key of every body. */
const byName = new WeakMap<readonly ScimAttribute[], Map<string, ScimAttribute>>();

/** The case-insensitive lookup of a (sub-)attribute by name. */
export function findByName(
  attributes: readonly ScimAttribute[] | undefined,
  name: string,
): ScimAttribute | undefined {
  if (!attributes) return undefined;
  let index = byName.get(attributes);
  if (!index) {
    index = new Map();
    for (const a of attributes) if (!index.has(lower(a.name))) index.set(lower(a.name), a);
    byName.set(attributes, index);
  }
  return index.get(lower(name));
}

function schemasOf(
  schemas: ScimResourceDefinition | readonly ScimSchemaDefinition[],
): readonly ScimSchemaDefinition[] {
  return 'coreSchema' in schemas ? [schemas.coreSchema, ...schemas.extensions] : schemas;
}

/**
 * The schema whose URN prefixes `path` (followed by `:` or the end), compared case-insensitively; the
 * longest match wins so that a URN which is a prefix of another cannot shadow it.
 */
export function findSchemaByUrnPrefix(
  schemas: ScimResourceDefinition | readonly ScimSchemaDefinition[],
  path: string,
): { schema: ScimSchemaDefinition; rest: string } | undefined {
  const p = lower(path);
  const match = [...schemasOf(schemas)]
    .sort((a, b) => b.id.length - a.id.length)
    .find((s) => p === lower(s.id) || p.startsWith(`${lower(s.id)}:`));
  return match ? { schema: match, rest: path.slice(match.id.length + 1) } : undefined;
}

/**
 * Resolves an attribute path such as `name.givenName`, `emails.value`, `meta.lastModified`,
 * `urn:ietf:params:scim:schemas:core:2.0:User:userName` or
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value` (case-insensitively) against
 * the given schemas (the first is the core schema, which unqualified names refer to, RFC 7644 §3.10).
 * Returns undefined for an unknown attribute, a bare schema URN, or a path deeper than attr.subAttr.
 */
export function findAttribute(
  schemas: ScimResourceDefinition | readonly ScimSchemaDefinition[],
  path: string,
): ResolvedAttribute | undefined {
  const list = schemasOf(schemas);
  const core = list[0];
  if (!core) return undefined;
  let schema = core;
  let rest = path;
  if (lower(path).startsWith('urn:')) {
    const found = findSchemaByUrnPrefix(list, path);
    if (!found || found.rest === '') return undefined;
    ({ schema, rest } = found);
  }
  const parts = rest.split('.');
  if (parts.length > 2 || parts.some((p) => p === '')) return undefined;
  const [attrName, subName] = parts as [string, string | undefined];
  const own = findByName(schema.attributes, attrName);
  const common = !own && schema === core ? findByName(COMMON_ATTRIBUTES, attrName) : undefined;
  const attribute = own ?? common;
  if (!attribute) return undefined;
  const subAttribute = subName === undefined ? undefined : findByName(attribute.subAttributes, subName);
  if (subName !== undefined && !subAttribute) return undefined;
  const local = subAttribute ? `${attribute.name}.${subAttribute.name}` : attribute.name;
  return {
    schemaUrn: schema.id,
    attribute,
    ...(subAttribute ? { subAttribute } : {}),
    canonicalPath: schema === core ? local : `${schema.id}:${local}`,
    common: common !== undefined,
  };
}
