import { Inject, Injectable } from '@nestjs/common';
import { type AuditActor, AuditService } from '@rollcall/audit';
import { ApiException, APP_CONFIG, type AppConfig, Clock } from '@rollcall/common';
import { SqlService } from '@rollcall/database';
import type { PortalCaller } from './caller';
import type { PortalLinkDto, PortalSessionDto, PortalSessionInfoDto } from './portal.dto';
import { generateToken, hashToken, parseToken, tokenHint } from './token-format';

/** How often a session's last request is written at most. */
const SEEN_EVERY_MS = 60_000;

/** Who may make a portal link. */
export type PortalLinkCreator = Extract<AuditActor, { kind: 'admin' | 'operator' }>;

/** What a portal link is, seen without using it. */
export type PortalLinkState =
  { outcome: 'open'; tenantName: string } | { outcome: 'gone' } | { outcome: 'malformed' };

/** What opening a portal link came to. */
export type PortalExchange =
  | { outcome: 'started'; secret: string }
  /** Used, expired, unknown, or its tenant disabled: all told the same. */
  | { outcome: 'gone' }
  /** Not a portal link's code at all (cut short, changed, or something else). */
  | { outcome: 'malformed' };

interface SessionRow {
  id: string;
  hint: string;
  created_at: Date;
  last_seen_at: Date;
  link_id: string;
  created_by_kind: 'admin' | 'operator';
  created_by_token_id: string | null;
}

/**
 * The admin portal's credentials (issue 11): one-time links and the sessions they open. Writes `portal_links`
 * and `portal_sessions` (PortalRetentionService deletes them once ended). Codes and secrets are tokens of their
 * own kinds (`rc_pl_`, `rc_ps_`, 256 random bits, naming their tenant), stored only as SHA-256 hashes. Sessions
 * are not cached: each request reads (and refreshes) its session, so a revocation takes effect on the next
 * request on every instance. Times come from the Clock, so that tests move it instead of waiting.
 */
@Injectable()
export class PortalService {
  constructor(
    private readonly sql: SqlService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** A new one-time link into the tenant's portal, with its audit event. 404: no such tenant; 409: disabled. */
  async createLink(tenantId: string, actor: PortalLinkCreator): Promise<PortalLinkDto> {
    return this.sql.transaction(async (tx) => {
      const [tenant] = await tx.query<{ enabled: boolean }>(`SELECT enabled FROM tenants WHERE id = $1`, [
        tenantId,
      ]);
      if (!tenant) throw ApiException.notFound('Tenant');
      if (!tenant.enabled) throw ApiException.conflict('The tenant is disabled');
      const code = generateToken('portalLink', tenantId);
      const now = this.clock.now();
      const expiresAt = new Date(now.getTime() + this.config.portal.linkTtlSeconds * 1000);
      const [link] = await tx.query<{ id: string }>(
        `INSERT INTO portal_links (tenant_id, code_hash, created_at, expires_at, created_by_kind, created_by_token_id)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [
          tenantId,
          hashToken(code),
          now,
          expiresAt,
          actor.kind,
          actor.kind === 'admin' ? actor.tokenId : null,
        ],
      );
      await this.audit.record(tx, tenantId, actor, [
        {
          action: 'portal_link.created',
          targetId: link.id,
          targetName: null,
          changes: { expiresAt: { to: expiresAt.toISOString() } },
        },
      ]);
      return { url: `${this.config.publicUrl}/portal/start?code=${code}`, expiresAt };
    });
  }

  /**
   * Whether a link can still be opened, and whose it is, without using it up (a mail scanner's or a link
   * preview's GET must leave it for the person it was sent to).
   */
  async inspect(code: string): Promise<PortalLinkState> {
    const parsed = parseToken(code);
    if (parsed?.kind !== 'portalLink' || !parsed.tenantId) return { outcome: 'malformed' };
    const [link] = await this.sql.query<{ name: string }>(
      `SELECT tn.name FROM portal_links l JOIN tenants tn ON tn.id = l.tenant_id
        WHERE l.tenant_id = $1 AND l.code_hash = $2 AND l.used_at IS NULL AND l.expires_at > $3 AND tn.enabled`,
      [parsed.tenantId, hashToken(code), this.clock.now()],
    );
    return link ? { outcome: 'open', tenantName: link.name } : { outcome: 'gone' };
  }

  /**
   * Opens a link: marks it used and starts a session, in one statement, so that of two opens of one link at
   * once exactly one starts a session (the other waits for the row, then finds it used).
   */
  async exchange(code: string, requestId: string): Promise<PortalExchange> {
    const parsed = parseToken(code);
    if (parsed?.kind !== 'portalLink' || !parsed.tenantId) return { outcome: 'malformed' };
    const tenantId = parsed.tenantId;
    const secret = generateToken('portalSession', tenantId);
    const hint = tokenHint(secret);
    const now = this.clock.now();
    return this.sql.transaction(async (tx) => {
      const [session] = await tx.query<{ id: string; link_id: string }>(
        `WITH link AS (
           UPDATE portal_links l SET used_at = $3
             FROM tenants tn
            WHERE l.tenant_id = $1 AND l.code_hash = $2 AND l.used_at IS NULL AND l.expires_at > $3
              AND tn.id = l.tenant_id AND tn.enabled
            RETURNING l.tenant_id, l.id)
         INSERT INTO portal_sessions (tenant_id, link_id, secret_hash, hint, created_at, last_seen_at)
         SELECT tenant_id, id, $4, $5, $3, $3 FROM link
         RETURNING id, link_id`,
        [tenantId, hashToken(code), now, hashToken(secret), hint],
      );
      if (!session) return { outcome: 'gone' };
      await this.audit.record(
        tx,
        tenantId,
        { kind: 'portal', sessionId: session.id, sessionHint: hint, requestId },
        [
          {
            action: 'portal_session.started',
            targetId: session.id,
            targetName: hint,
            changes: { linkId: { to: session.link_id } },
          },
        ],
      );
      return { outcome: 'started', secret };
    });
  }

  /**
   * The session a cookie's secret stands for, or undefined (unknown, revoked, idle too long, or its tenant
   * disabled). Counts as the session's activity: it stays alive for another idle time. Its `last_seen_at` is
   * written at most once every SEEN_EVERY_MS (a page that polls does not write a row every two seconds), so a
   * session may end up to that much before its idle time after its last request.
   */
  async authenticate(secret: string): Promise<PortalCaller | undefined> {
    const parsed = parseToken(secret);
    if (parsed?.kind !== 'portalSession' || !parsed.tenantId) return undefined;
    const now = this.clock.now();
    const [row] = await this.sql.query<{ id: string; hint: string }>(
      `WITH s AS (
         SELECT s.id, s.hint, s.last_seen_at FROM portal_sessions s JOIN tenants tn ON tn.id = s.tenant_id
          WHERE s.tenant_id = $1 AND s.secret_hash = $2 AND s.revoked_at IS NULL AND s.last_seen_at > $4
            AND tn.enabled),
       seen AS (
         UPDATE portal_sessions p SET last_seen_at = GREATEST(p.last_seen_at, $3)
           FROM s WHERE p.tenant_id = $1 AND p.id = s.id AND s.last_seen_at < $5)
       SELECT id, hint FROM s`,
      [parsed.tenantId, hashToken(secret), now, this.idleSince(now), new Date(now.getTime() - SEEN_EVERY_MS)],
    );
    return row && { kind: 'portal', tenantId: parsed.tenantId, sessionId: row.id, sessionHint: row.hint };
  }

  /** What the portal's page starts from (its CSRF token is added by the caller, who has the secret). */
  async describe(caller: PortalCaller): Promise<Omit<PortalSessionInfoDto, 'csrfToken'>> {
    const [row] = await this.sql.query<{ name: string; last_seen_at: Date }>(
      `SELECT tn.name, s.last_seen_at FROM portal_sessions s JOIN tenants tn ON tn.id = s.tenant_id
        WHERE s.tenant_id = $1 AND s.id = $2`,
      [caller.tenantId, caller.sessionId],
    );
    if (!row) throw ApiException.notFound('Portal session');
    return {
      tenantId: caller.tenantId,
      tenantName: row.name,
      expiresAt: this.endOf(row.last_seen_at),
      sessionId: caller.sessionId,
    };
  }

  /** The tenant's live sessions (not revoked, not idle too long), newest first; hints only. */
  async list(tenantId: string): Promise<PortalSessionDto[]> {
    const rows = await this.sql.query<SessionRow>(
      `SELECT s.id, s.hint, s.created_at, s.last_seen_at, s.link_id, l.created_by_kind, l.created_by_token_id
         FROM portal_sessions s
         JOIN portal_links l ON l.tenant_id = s.tenant_id AND l.id = s.link_id
        WHERE s.tenant_id = $1 AND s.revoked_at IS NULL AND s.last_seen_at > $2
        ORDER BY s.created_at DESC, s.id`,
      [tenantId, this.idleSince(this.clock.now())],
    );
    return rows.map((r) => ({
      id: r.id,
      hint: r.hint,
      createdAt: r.created_at,
      lastSeenAt: r.last_seen_at,
      expiresAt: this.endOf(r.last_seen_at),
      linkId: r.link_id,
      linkCreatedBy: { kind: r.created_by_kind, tokenId: r.created_by_token_id },
    }));
  }

  /**
   * Ends a session of the tenant now, with its audit event (`portal_session.revoked`, or `.logged_out` when
   * the session ends itself); false when it does not exist in the tenant. Ending a session that has already
   * ended changes nothing and records nothing.
   */
  async end(tenantId: string, id: string, actor: AuditActor): Promise<boolean> {
    const now = this.clock.now();
    return this.sql.transaction(async (tx) => {
      const [ended] = await tx.query<{ hint: string }>(
        `UPDATE portal_sessions SET revoked_at = $3
          WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL AND last_seen_at > $4
          RETURNING hint`,
        [tenantId, id, now, this.idleSince(now)],
      );
      if (!ended) {
        const found = await tx.query(`SELECT 1 FROM portal_sessions WHERE tenant_id = $1 AND id = $2`, [
          tenantId,
          id,
        ]);
        return found.length > 0;
      }
      const itself = actor.kind === 'portal' && actor.sessionId === id;
      await this.audit.record(tx, tenantId, actor, [
        {
          action: itself ? 'portal_session.logged_out' : 'portal_session.revoked',
          targetId: id,
          targetName: ended.hint,
        },
      ]);
      return true;
    });
  }

  private idleSince(now: Date): Date {
    return new Date(now.getTime() - this.config.portal.sessionIdleSeconds * 1000);
  }

  private endOf(lastSeenAt: Date): Date {
    return new Date(lastSeenAt.getTime() + this.config.portal.sessionIdleSeconds * 1000);
  }
}
