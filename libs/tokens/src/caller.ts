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

export type Caller = OperatorCaller | AdminCaller | ScimCaller;
export type CallerKind = Caller['kind'];
