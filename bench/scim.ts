// SCIM shapes and request bodies the workloads send, written the way Okta sends them.

export const SCIM_CONTENT_TYPE = 'application/scim+json';
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export interface ScimUser {
  schemas: string[];
  id: string;
  userName: string;
  active?: boolean;
  name?: { givenName?: string; familyName?: string; formatted?: string };
  groups?: { value: string; display?: string }[];
  meta?: Record<string, unknown>;
  [attribute: string]: unknown;
}

export interface ScimGroup {
  id: string;
  displayName: string;
  members?: { value: string; display?: string }[];
}

export interface ScimList<T> {
  totalResults: number;
  startIndex?: number;
  itemsPerPage?: number;
  Resources?: T[];
}

/** A user this run knows to exist. */
export interface KnownUser {
  id: string;
  userName: string;
}

export function newUserBody(userName: string, n: number): Record<string, unknown> {
  const given = `Bench${n}`;
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: given, familyName: 'User' },
    displayName: `${given} User`,
    emails: [{ primary: true, value: userName, type: 'work' }],
    locale: 'en-US',
    active: true,
  };
}

export function patchBody(...operations: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [PATCH_SCHEMA], Operations: operations };
}

/** `?filter=<attribute> eq "<value>"`, SCIM-quoted and URL-encoded. */
export function eqFilter(attribute: string, value: string): string {
  const quoted = `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return `filter=${encodeURIComponent(`${attribute} eq ${quoted}`)}`;
}

export function userLookupPath(userName: string): string {
  return `/Users?${eqFilter('userName', userName)}`;
}

/** A short, unique, sortable run prefix: reruns against the same directory never collide. */
export function newRunId(): string {
  return `bench-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
