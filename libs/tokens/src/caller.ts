import type { ScimProvider } from '@rollcall/database';

export interface OperatorCaller {
  kind: 'operator';
}

export interface AdminCaller {
  kind: 'admin';
  tenantId: string;
  tokenId: string;
  /** The token's stored hint (`rc_adm_…x9Qa`): how the audit log names the admin who made a change. */
  tokenHint: string;
}

export interface ScimCaller {
  kind: 'scim';
  tenantId: string;
  integrationId: string;
  provider: ScimProvider;
  /** The integration's target group: every user it provisions is a member. */
  groupId: string;
  tokenId: string;
}

/**
 * An admin-portal session (the `rollcall_portal` cookie): the tenant's admin on the settings routes that take
 * it (`@AdminAuth()`), never on the operator or SCIM APIs, nor on the routes that issue credentials.
 */
export interface PortalCaller {
  kind: 'portal';
  tenantId: string;
  sessionId: string;
  /** The session's stored hint (`rc_ps_…x9Qa`): how the audit log names the session that made a change. */
  sessionHint: string;
}

/** Who may call a tenant's settings routes: an admin token, or a portal session standing in for one. */
export type TenantAdmin = AdminCaller | PortalCaller;

export type Caller = OperatorCaller | AdminCaller | ScimCaller | PortalCaller;
export type CallerKind = Caller['kind'];
