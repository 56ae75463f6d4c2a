import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { Client } from 'pg';
import { type AuditActor, AuditService } from '@rollcall/audit';
import { APP_CONFIG, type AppConfig } from '@rollcall/common';
import { type ScimProvider, SqlService, type SqlTransaction, type TokenKind } from '@rollcall/database';
import type { AdminCaller, Caller, ScimCaller } from './caller';
import { generateToken, hashToken, parseToken, tokenHint } from './token-format';

/** How long a verified token is trusted without asking the database again: under a second (DESIGN §4). */
const CACHE_MS = 900;
/** lastUsedAt is written at most this often per token. */
const LAST_USED_EVERY_MS = 60_000;
const CACHE_LIMIT = 10_000;
/** The PostgreSQL channel on which an instance tells every instance to forget the tokens it verified. */
const INVALIDATION_CHANNEL = 'rollcall_tokens';
/** How soon a lost listening connection is opened again (meanwhile CACHE_MS still bounds what is stale). */
const RELISTEN_MS = 1_000;

/** A token as its list and details show it (never its hash). */
const INFO_COLUMNS = `id, name, hint, created_at AS "createdAt", last_used_at AS "lastUsedAt",
  expires_at AS "expiresAt", revoked_at AS "revokedAt"`;

const LOOKUP_BY_HASH = `SELECT t.id, t.kind, t.hint, t.tenant_id, t.integration_id, t.expires_at, t.revoked_at, i.provider, i.group_id
    FROM api_tokens t
    JOIN tenants tn ON tn.id = t.tenant_id AND tn.enabled
    LEFT JOIN scim_integrations i ON i.tenant_id = t.tenant_id AND i.id = t.integration_id
   WHERE t.token_hash = $1
     AND (t.revoked_at IS NULL OR t.revoked_at > now())
     AND (t.expires_at IS NULL OR t.expires_at > now())
     AND (t.kind = 'admin' OR i.enabled)`;
const LOOKUP_IN_TENANT = `${LOOKUP_BY_HASH} AND t.tenant_id = $2`;

export interface IssuedToken {
  id: string;
  token: string;
  hint: string;
  createdAt: Date;
  expiresAt: Date | null;
}

export interface TokenInfo {
  id: string;
  name: string | null;
  hint: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

interface Cached {
  caller: AdminCaller | ScimCaller;
  until: number;
}

interface TokenRow {
  id: string;
  kind: TokenKind;
  hint: string;
  tenant_id: string;
  integration_id: string | null;
  provider: ScimProvider | null;
  group_id: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

@Injectable()
export class TokensService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TokensService.name);
  private readonly operatorHash: Buffer | undefined;
  private readonly cache = new Map<string, Cached>();
  /** Bumped by every invalidation: a look-up that began before one must not cache what it read. */
  private generation = 0;
  private readonly lastUsedWritten = new Map<string, number>();
  /** The connection that LISTENs on INVALIDATION_CHANNEL, when it is up. */
  private listener: Client | undefined;
  private relisten: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(
    private readonly sql: SqlService,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly audit: AuditService,
  ) {
    this.operatorHash = config.operatorToken ? hashToken(config.operatorToken) : undefined;
  }

  get operatorApiEnabled(): boolean {
    return this.operatorHash !== undefined;
  }

  /**
   * The caller a bearer token stands for, or undefined. A revoked, expired or unknown token, a token of a
   * disabled tenant and a SCIM token of a disabled integration are all undefined. Verified tokens are
   * trusted for at most a second; revocation through this service clears the cache at once.
   */
  async authenticate(raw: string): Promise<Caller | undefined> {
    // Keyed by the token itself, so that a hit costs no hashing: the cache lives in this process only, holds
    // only tokens that were just verified, for under a second, and never reaches a log or the database.
    const now = Date.now();
    const hit = this.cache.get(raw);
    if (hit && hit.until > now) {
      this.touch(hit.caller, now);
      return hit.caller;
    }
    const hash = hashToken(raw);
    if (this.operatorHash && timingSafeEqual(hash, this.operatorHash)) return { kind: 'operator' };
    const parsed = parseToken(raw);
    // A portal link's code or a portal session's secret is not a bearer token.
    if (!parsed || (parsed.kind !== 'admin' && parsed.kind !== 'scim')) return undefined;
    const generation = this.generation;
    // A token names its tenant, so the look-up stays in that tenant (one shard when distributed by tenant).
    // A token issued before tokens carried their tenant is looked up by its hash alone.
    const rows = await this.sql.query<TokenRow>(
      parsed.tenantId ? LOOKUP_IN_TENANT : LOOKUP_BY_HASH,
      parsed.tenantId ? [hash, parsed.tenantId] : [hash],
    );
    const row = rows[0];
    if (!row) {
      this.cache.delete(raw);
      return undefined;
    }
    const caller: AdminCaller | ScimCaller =
      row.kind === 'admin'
        ? { kind: 'admin', tenantId: row.tenant_id, tokenId: row.id, tokenHint: row.hint }
        : {
            kind: 'scim',
            tenantId: row.tenant_id,
            integrationId: row.integration_id!,
            provider: row.provider!,
            groupId: row.group_id!,
            tokenId: row.id,
          };
    const limits = [now + CACHE_MS, row.expires_at?.getTime(), row.revoked_at?.getTime()].filter(
      (t): t is number => t !== undefined,
    );
    if (generation === this.generation) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(raw, { caller, until: Math.min(...limits) });
    }
    this.touch(caller, now);
    return caller;
  }

  /**
   * Forgets every verified token. Called after anything that can revoke one (revoke, rotate, disable,
   * delete) has committed; look-ups still in flight then do not put their answer back.
   */
  invalidate(): void {
    this.forget();
    // Every instance (this one too) hears it within milliseconds; one that does not (its listening connection
    // is down) still trusts a verified token for under a second.
    this.sql.query('SELECT pg_notify($1, $2)', [INVALIDATION_CHANNEL, '']).catch((e: unknown) => {
      this.logger.warn({ err: e }, 'Could not tell the other instances to forget verified tokens');
    });
  }

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearTimeout(this.relisten);
    await this.listener?.end().catch(() => undefined);
  }

  private forget(): void {
    this.generation++;
    this.cache.clear();
  }

  /** Listens for other instances' invalidations on a connection of its own (LISTEN needs one that stays). */
  private async listen(): Promise<void> {
    const url = this.sql.url;
    if (!url || this.closing) return;
    const client = new Client({ connectionString: url });
    client.on('notification', () => this.forget());
    client.on('error', () => this.listenAgain(client));
    client.on('end', () => this.listenAgain(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${INVALIDATION_CHANNEL}`);
      this.listener = client;
      // Whatever was revoked while no connection listened is forgotten too.
      this.forget();
    } catch (e) {
      this.logger.warn({ err: e }, 'Not listening for token invalidations yet; trying again');
      this.listenAgain(client);
    }
  }

  private listenAgain(client: Client): void {
    if (this.listener === client) this.listener = undefined;
    void client.end().catch(() => undefined);
    if (this.closing || this.relisten) return;
    this.relisten = setTimeout(() => {
      this.relisten = undefined;
      void this.listen();
    }, RELISTEN_MS);
    this.relisten.unref();
  }

  private touch({ tenantId, tokenId }: AdminCaller | ScimCaller, now: number): void {
    const last = this.lastUsedWritten.get(tokenId);
    if (last !== undefined && now - last < LAST_USED_EVERY_MS) return;
    if (this.lastUsedWritten.size >= CACHE_LIMIT) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(tokenId, now);
    this.sql
      .query(
        `UPDATE api_tokens SET last_used_at = now()
          WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [tenantId, tokenId],
      )
      .catch((e: unknown) => this.logger.warn({ err: e }, 'Could not record a token use'));
  }

  /** Issues an admin token of the tenant, in transaction `tx` or a new one, with its audit event. */
  async issueAdminToken(
    tenantId: string,
    options: { name?: string | null; expiresAt?: Date | null },
    actor: AuditActor,
    tx?: SqlTransaction,
  ): Promise<IssuedToken & { name: string | null }> {
    if (!tx) return this.sql.transaction((t) => this.issueAdminToken(tenantId, options, actor, t));
    const name = options.name ?? null;
    const issued = await this.insert(tx, tenantId, 'admin', null, name, options.expiresAt ?? null);
    await this.audit.record(tx, tenantId, actor, [
      {
        action: 'admin_token.created',
        targetId: issued.id,
        targetName: issued.hint,
        changes: { name: { to: name }, expiresAt: { to: issued.expiresAt?.toISOString() ?? null } },
      },
    ]);
    return { ...issued, name };
  }

  async listAdminTokens(tenantId: string): Promise<TokenInfo[]> {
    return this.sql.query<TokenInfo>(
      `SELECT ${INFO_COLUMNS} FROM api_tokens WHERE tenant_id = $1 AND kind = 'admin' ORDER BY created_at DESC, id`,
      [tenantId],
    );
  }

  /**
   * Revokes an admin token of the tenant, with its audit event; false when it does not exist (or belongs to
   * another tenant). Revoking a revoked token changes nothing and records nothing.
   */
  async revokeAdminToken(tenantId: string, id: string, actor: AuditActor): Promise<boolean> {
    const exists = await this.sql.transaction(async (tx) => {
      const revoked = await tx.query<{ hint: string }>(
        `UPDATE api_tokens SET revoked_at = now()
          WHERE tenant_id = $1 AND id = $2 AND kind = 'admin' AND (revoked_at IS NULL OR revoked_at > now())
          RETURNING hint`,
        [tenantId, id],
      );
      if (!revoked[0]) return this.adminTokenExists(tenantId, id, tx);
      await this.audit.record(tx, tenantId, actor, [
        { action: 'admin_token.revoked', targetId: id, targetName: revoked[0].hint },
      ]);
      return true;
    });
    this.invalidate();
    return exists;
  }

  private async adminTokenExists(tenantId: string, id: string, tx: SqlTransaction): Promise<boolean> {
    const rows = await tx.query(
      `SELECT 1 FROM api_tokens WHERE tenant_id = $1 AND id = $2 AND kind = 'admin'`,
      [tenantId, id],
    );
    return rows.length > 0;
  }

  async issueScimToken(tenantId: string, integrationId: string, tx: SqlTransaction): Promise<IssuedToken> {
    return this.insert(tx, tenantId, 'scim', integrationId, null, null);
  }

  /**
   * Issues a new SCIM token for the integration; every older token stops at once, or after `graceSeconds`
   * (an older token already due to stop sooner keeps its earlier end). Runs in the caller's transaction:
   * the caller invalidates the token cache once it has committed.
   */
  async rotateScimToken(
    tenantId: string,
    integrationId: string,
    graceSeconds: number,
    tx: SqlTransaction,
  ): Promise<IssuedToken & { previousTokenValidUntil: Date | null; previousTokenHint: string | null }> {
    const ended = await tx.query<{ until: Date; hint: string; created_at: Date }>(
      `UPDATE api_tokens
          SET revoked_at = LEAST(COALESCE(revoked_at, 'infinity'::timestamptz), now() + make_interval(secs => $3))
        WHERE tenant_id = $1 AND integration_id = $2 AND kind = 'scim' AND (revoked_at IS NULL OR revoked_at > now())
        RETURNING revoked_at AS until, hint, created_at`,
      [tenantId, integrationId, graceSeconds],
    );
    const issued = await this.insert(tx, tenantId, 'scim', integrationId, null, null);
    const latest = ended.reduce<Date | null>(
      (max, r) => (max === null || r.until > max ? r.until : max),
      null,
    );
    // The token being replaced: the newest of those still working.
    const previous = ended.reduce<(typeof ended)[number] | null>(
      (newest, r) => (newest === null || r.created_at > newest.created_at ? r : newest),
      null,
    );
    return {
      ...issued,
      previousTokenValidUntil: graceSeconds > 0 ? latest : null,
      previousTokenHint: previous?.hint ?? null,
    };
  }

  /** The integration's current token (the newest one not revoked), for its details page. */
  async currentScimTokens(tenantId: string, integrationIds: string[]): Promise<Map<string, TokenInfo>> {
    if (integrationIds.length === 0) return new Map();
    const rows = await this.sql.query<TokenInfo & { integrationId: string }>(
      `SELECT DISTINCT ON (integration_id) integration_id AS "integrationId", ${INFO_COLUMNS}
         FROM api_tokens
        WHERE tenant_id = $1 AND kind = 'scim' AND integration_id = ANY($2::uuid[])
        ORDER BY integration_id, (revoked_at IS NULL) DESC, created_at DESC`,
      [tenantId, integrationIds],
    );
    return new Map(rows.map((r) => [r.integrationId, r]));
  }

  private async insert(
    tx: SqlTransaction,
    tenantId: string,
    kind: TokenKind,
    integrationId: string | null,
    name: string | null,
    expiresAt: Date | null,
  ): Promise<IssuedToken> {
    const token = generateToken(kind, tenantId);
    const hint = tokenHint(token);
    const rows = await tx.query<{ id: string; created_at: Date }>(
      `INSERT INTO api_tokens (tenant_id, kind, integration_id, name, token_hash, hint, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at`,
      [tenantId, kind, integrationId, name, hashToken(token), hint, expiresAt],
    );
    return { id: rows[0].id, token, hint, createdAt: rows[0].created_at, expiresAt };
  }
}
