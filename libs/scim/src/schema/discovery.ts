/* RFC 7643 §5 (ServiceProviderConfig), §6 (ResourceType) and §7 (Schema) documents, as pure functions. */
import { SCIM_SCHEMAS, type ScimAttribute, type ScimSchemaDefinition } from './scim-schema.types';
import { GROUP_RESOURCE, USER_RESOURCE, type ScimResourceDefinition } from './scim-schemas';

export interface DiscoveryMeta {
  resourceType: 'ServiceProviderConfig' | 'ResourceType' | 'Schema';
  location: string;
}

export interface ServiceProviderConfigOptions {
  /** The most resources a list or search returns (the page size cap). */
  maxResults: number;
  /** The most operations and bytes one /Bulk request may have. */
  bulk: { maxOperations: number; maxPayloadSize: number };
  documentationUri?: string;
}

export interface ServiceProviderConfigDocument {
  schemas: [typeof SCIM_SCHEMAS.serviceProviderConfig];
  documentationUri?: string;
  patch: { supported: boolean };
  bulk: { supported: boolean; maxOperations: number; maxPayloadSize: number };
  filter: { supported: boolean; maxResults: number };
  changePassword: { supported: boolean };
  sort: { supported: boolean };
  etag: { supported: boolean };
  authenticationSchemes: {
    type: string;
    name: string;
    description: string;
    specUri: string;
    documentationUri?: string;
    primary: boolean;
  }[];
  meta: DiscoveryMeta;
}

export interface ResourceTypeDocument {
  schemas: [typeof SCIM_SCHEMAS.resourceType];
  id: string;
  name: string;
  endpoint: string;
  description: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
  meta: DiscoveryMeta;
}

export interface SchemaDocument {
  schemas: [typeof SCIM_SCHEMAS.schema];
  id: string;
  name: string;
  description: string;
  attributes: ScimAttribute[];
  meta: DiscoveryMeta;
}

export const RESOURCE_DEFINITIONS: readonly ScimResourceDefinition[] = [USER_RESOURCE, GROUP_RESOURCE];

const trimSlash = (baseUrl: string): string => baseUrl.replace(/\/+$/, '');

/**
 * RFC 7643 §5. Truthful about limits: `bulk` gives the most operations and bytes a /Bulk request may have (413
 * above them); `filter.maxResults` is the page size a list or search is capped at. The other input limits
 * (scim-limits.ts) have no field here; the documentation at `documentationUri` lists them.
 */
export function serviceProviderConfig(
  baseUrl: string,
  options: ServiceProviderConfigOptions,
): ServiceProviderConfigDocument {
  return {
    schemas: [SCIM_SCHEMAS.serviceProviderConfig],
    ...(options.documentationUri ? { documentationUri: options.documentationUri } : {}),
    patch: { supported: true },
    bulk: { supported: true, ...options.bulk },
    filter: { supported: true, maxResults: options.maxResults },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication scheme using the OAuth Bearer Token Standard',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${trimSlash(baseUrl)}/ServiceProviderConfig` },
  };
}

export function resourceTypeDocument(
  baseUrl: string,
  definition: ScimResourceDefinition,
): ResourceTypeDocument {
  return {
    schemas: [SCIM_SCHEMAS.resourceType],
    id: definition.name,
    name: definition.name,
    endpoint: definition.endpoint,
    description: definition.description,
    schema: definition.coreSchema.id,
    schemaExtensions: definition.extensions.map((s) => ({ schema: s.id, required: false })),
    meta: {
      resourceType: 'ResourceType',
      location: `${trimSlash(baseUrl)}/ResourceTypes/${definition.name}`,
    },
  };
}

/** The User and Group resource types (the caller wraps them in a ListResponse). */
export function resourceTypes(baseUrl: string): ResourceTypeDocument[] {
  return RESOURCE_DEFINITIONS.map((d) => resourceTypeDocument(baseUrl, d));
}

export function schemaDocument(baseUrl: string, schema: ScimSchemaDefinition): SchemaDocument {
  return {
    schemas: [SCIM_SCHEMAS.schema],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: structuredClone(schema.attributes),
    meta: { resourceType: 'Schema', location: `${trimSlash(baseUrl)}/Schemas/${schema.id}` },
  };
}

/** The User, EnterpriseUser and Group schemas (the caller wraps them in a ListResponse). */
export function schemasDocuments(baseUrl: string): SchemaDocument[] {
  const schemas = RESOURCE_DEFINITIONS.flatMap((d) => [d.coreSchema, ...d.extensions]);
  const unique = schemas.filter((s, i) => schemas.findIndex((o) => o.id === s.id) === i);
  return unique.map((s) => schemaDocument(baseUrl, s));
}
