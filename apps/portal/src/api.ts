// The portal's client for the documented settings API (see /docs). It adds no endpoint of its own: with the
// portal session's cookie it calls the API as the tenant's admin, and sends the session's CSRF token with
// every request that changes something.

export type Provider = 'okta' | 'entra' | 'onelogin' | 'jumpcloud' | 'google' | 'generic';

/**
 * The identity providers, named as the server names them (`setup.providerName`, from providerSetup in
 * libs/integrations). The wizard lists them before any integration exists, and the list of integrations carries
 * only the id; wherever an answer carries `setup.providerName`, the pages show that instead.
 */
export const PROVIDERS: { id: Provider; name: string }[] = [
  { id: 'okta', name: 'Okta' },
  { id: 'entra', name: 'Microsoft Entra ID' },
  { id: 'onelogin', name: 'OneLogin' },
  { id: 'jumpcloud', name: 'JumpCloud' },
  { id: 'google', name: 'Google Workspace' },
  { id: 'generic', name: 'Other SCIM 2.0 client' },
];

export function providerName(id: string): string {
  return PROVIDERS.find((p) => p.id === id)?.name ?? id;
}

export interface PortalSession {
  tenantId: string;
  tenantName: string;
  csrfToken: string;
  expiresAt: string;
  sessionId: string;
}

export interface Integration {
  id: string;
  name: string;
  provider: Provider;
  enabled: boolean;
  group: { id: string; name: string };
  scimBaseUrl: string;
  tokenHint: string;
  tokenCreatedAt: string;
  tokenLastUsedAt: string | null;
  userCount: number;
  groupCount: number;
  lastRequestAt: string | null;
  failedRequests24h: number;
  createdAt: string;
  updatedAt: string;
}

export interface SetupStep {
  title: string;
  detail: string;
}

export interface IntegrationDetails extends Integration {
  setup: {
    provider: Provider;
    providerName: string;
    baseUrl: string;
    baseUrlField: string;
    tokenField: string;
    steps: SetupStep[];
    notes: string[];
  };
}

export interface CreatedIntegration extends IntegrationDetails {
  token: string;
}

export interface RotatedToken {
  token: string;
  tokenHint: string;
  tokenCreatedAt: string;
  previousTokenValidUntil: string | null;
}

export interface Group {
  id: string;
  name: string;
  ownerIntegration: { id: string; name: string } | null;
  memberCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface DirectoryUser {
  id: string;
  integrationId: string;
  userName: string;
  displayName: string | null;
  externalId: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ActivityEvent {
  id: string;
  time: string;
  method: string;
  path: string;
  resourceType: string | null;
  resourceId: string | null;
  resourceName: string | null;
  status: number;
  outcome: 'changed' | 'unchanged' | 'failed' | 'read';
  changes: Record<string, unknown> | null;
  scimType: string | null;
  detail: string | null;
  durationMs: number;
  requestId: string;
  count: number;
}

export interface AuditEvent {
  id: string;
  time: string;
  actor: {
    kind: 'admin' | 'operator' | 'portal';
    tokenId: string | null;
    tokenHint: string | null;
    sessionId: string | null;
  };
  action: string;
  target: { type: string; id: string; name: string | null };
  changes: Record<string, { from?: unknown; to?: unknown }>;
  requestId: string;
}

export interface EventFilters {
  status?: 'failed';
  resourceType?: 'User' | 'Group';
  resourceName?: string;
}

/** The settings API's error shape, with the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined>;

export class Api {
  /** Sent as X-CSRF-Token with every POST, PUT, PATCH and DELETE (from GET /api/v1/portal/session). */
  csrfToken?: string;

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD' && this.csrfToken) headers['X-CSRF-Token'] = this.csrfToken;
    const response = await fetch(path + toSearch(query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    const json: unknown = text ? safeJson(text) : undefined;
    if (!response.ok) {
      const e = (json ?? {}) as { message?: unknown; code?: unknown; requestId?: unknown };
      const message = typeof e.message === 'string' ? e.message : `${response.status} ${response.statusText}`;
      throw new ApiError(
        response.status,
        message,
        typeof e.code === 'string' ? e.code : undefined,
        typeof e.requestId === 'string' ? e.requestId : undefined,
      );
    }
    return json as T;
  }

  session = () => this.request<PortalSession>('GET', '/api/v1/portal/session');
  logout = () => this.request<void>('POST', '/api/v1/portal/logout');

  integrations = () => this.request<Integration[]>('GET', '/api/v1/scim-integrations');
  integration = (id: string) =>
    this.request<IntegrationDetails>('GET', `/api/v1/scim-integrations/${encodeURIComponent(id)}`);
  createIntegration = (body: { name: string; provider: Provider; groupId?: string; newGroupName?: string }) =>
    this.request<CreatedIntegration>('POST', '/api/v1/scim-integrations', body);
  updateIntegration = (id: string, body: { name?: string; enabled?: boolean; groupId?: string }) =>
    this.request<IntegrationDetails>('PATCH', `/api/v1/scim-integrations/${encodeURIComponent(id)}`, body);
  deleteIntegration = (id: string) =>
    this.request<void>('DELETE', `/api/v1/scim-integrations/${encodeURIComponent(id)}`);
  rotateToken = (id: string, graceSeconds: number) =>
    this.request<RotatedToken>('POST', `/api/v1/scim-integrations/${encodeURIComponent(id)}/token`, {
      graceSeconds,
    });
  events = (id: string, filters: EventFilters & { cursor?: string; limit?: number }) =>
    this.request<CursorPage<ActivityEvent>>(
      'GET',
      `/api/v1/scim-integrations/${encodeURIComponent(id)}/events`,
      undefined,
      { ...filters },
    );

  groups = (q: { q?: string; integrationId?: string; page?: number; pageSize?: number }) =>
    this.request<Page<Group>>('GET', '/api/v1/groups', undefined, q);
  createGroup = (name: string) => this.request<Group>('POST', '/api/v1/groups', { name });
  users = (q: { integrationId?: string; q?: string; page?: number; pageSize?: number }) =>
    this.request<Page<DirectoryUser>>('GET', '/api/v1/users', undefined, q);
  auditLog = (q: { targetId?: string; limit?: number }) =>
    this.request<CursorPage<AuditEvent>>('GET', '/api/v1/audit-log', undefined, q);
}

function toSearch(query?: Query): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
