/** What an audit event is about. */
export type AuditTargetType =
  'tenant' | 'admin_token' | 'group' | 'integration' | 'portal_link' | 'portal_session';

/**
 * Every action the audit log records: `<target type>.<what happened>`, each one fact. A request that changes
 * several things (a PATCH that renames and disables) writes one event per fact, with the same request id.
 */
export const AUDIT_ACTIONS = [
  'tenant.created',
  'tenant.renamed',
  'tenant.enabled',
  'tenant.disabled',
  'admin_token.created',
  'admin_token.revoked',
  'group.created',
  'group.renamed',
  'group.deleted',
  'integration.created',
  'integration.renamed',
  'integration.enabled',
  'integration.disabled',
  'integration.target_group_changed',
  'integration.token_rotated',
  'integration.deleted',
  'portal_link.created',
  'portal_session.started',
  'portal_session.logged_out',
  'portal_session.revoked',
] as const satisfies readonly `${AuditTargetType}.${string}`[];
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The target type an action is about: its first part. */
export function targetTypeOf(action: AuditAction): AuditTargetType {
  return action.slice(0, action.indexOf('.')) as AuditTargetType;
}

/** A value in `changes`: plain JSON, or a reference to a group by id and name. Never a secret. */
export type AuditValue = string | number | boolean | null | { id: string; name: string };

/**
 * The fields a change set, each `{ from, to }`: `from` is left out for a target just created, `to` for one
 * just deleted. Hints of tokens may appear here; a token, its hash or any other secret never does.
 */
export type AuditChanges = Record<string, { from?: AuditValue; to?: AuditValue }>;

/**
 * Who made a change, and in which request (its X-Request-Id): an admin token, the operator, or an admin-portal
 * session (named by its id and hint, so the log says the portal did it).
 */
export type AuditActor =
  | { kind: 'admin'; tokenId: string; tokenHint: string; requestId: string }
  | { kind: 'operator'; requestId: string }
  | { kind: 'portal'; sessionId: string; sessionHint: string; requestId: string };

/** One event as a service describes it; the tenant, actor, time and target type are added by the writer. */
export interface AuditEventInput {
  action: AuditAction;
  targetId: string;
  /** The target's name after the change (a deleted target's last name); an admin token's hint. */
  targetName: string | null;
  changes?: AuditChanges;
}
