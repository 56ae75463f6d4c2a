import { Inject, Injectable } from '@nestjs/common';
import { type AuditActor, type AuditEventInput, AuditService } from '@rollcall/audit';
import { APP_CONFIG, type AppConfig, ApiException } from '@rollcall/common';
import { type ScimProvider, SqlService, type SqlRunner } from '@rollcall/database';
import { type GroupDto, GroupsService, memberships } from '@rollcall/groups';
import { type TokenInfo, TokensService } from '@rollcall/tokens';
import { ActivityService } from './activity.service';
import type { ActivityPageDto, EventQuery } from './activity.dto';
import { providerSetup } from './provider-setup';
import type {
  CreatedIntegrationDto,
  CreateIntegrationDto,
  IntegrationDetailsDto,
  IntegrationDto,
  RotatedTokenDto,
  UpdateIntegrationDto,
} from './integration.dto';

interface IntegrationRow {
  id: string;
  name: string;
  provider: ScimProvider;
  enabled: boolean;
  group_id: string;
  group_name: string;
  user_count: string;
  group_count: string;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `SELECT i.id, i.name, i.provider, i.enabled, i.group_id, g.name AS group_name, i.created_at, i.updated_at,
    (SELECT count(*) FROM scim_users u WHERE u.tenant_id = i.tenant_id AND u.integration_id = i.id) AS user_count,
    (SELECT count(*) FROM groups pg WHERE pg.tenant_id = i.tenant_id AND pg.integration_id = i.id) AS group_count
  FROM scim_integrations i JOIN groups g ON g.id = i.group_id AND g.tenant_id = i.tenant_id`;

/** SCIM integrations: the settings-API wizard, details, updates and token rotation. */
@Injectable()
export class IntegrationsService {
  constructor(
    private readonly sql: SqlService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly groups: GroupsService,
    private readonly tokens: TokensService,
    private readonly activity: ActivityService,
    private readonly audit: AuditService,
  ) {}

  /** The SCIM base URL an admin pastes into the identity provider. */
  scimBaseUrl(provider: ScimProvider): string {
    const base = `${this.config.publicUrl}/scim/v2`;
    // Entra ID sends RFC 7644-compliant PATCH requests only when the URL carries this flag.
    return provider === 'entra' ? `${base}?aadOptscim062020` : base;
  }

  async create(
    tenantId: string,
    body: CreateIntegrationDto,
    actor: AuditActor,
  ): Promise<CreatedIntegrationDto> {
    if ((body.groupId === undefined) === (body.newGroupName === undefined)) {
      throw ApiException.validation(
        'groupId',
        'Give exactly one of groupId (an existing group) and newGroupName',
      );
    }
    return this.sql.transaction(async (tx) => {
      const group =
        body.groupId !== undefined
          ? await this.groups.assertTargetable(tenantId, body.groupId, tx)
          : await this.groups.create(tenantId, body.newGroupName!, actor, tx);
      const rows: { id: string }[] = await tx.query(
        `INSERT INTO scim_integrations (tenant_id, name, provider, group_id) VALUES ($1, $2, $3, $4) RETURNING id`,
        [tenantId, body.name, body.provider, group.id],
      );
      const token = await this.tokens.issueScimToken(tenantId, rows[0].id, tx);
      await this.audit.record(tx, tenantId, actor, [
        {
          action: 'integration.created',
          targetId: rows[0].id,
          targetName: body.name,
          changes: {
            name: { to: body.name },
            provider: { to: body.provider },
            enabled: { to: true },
            group: { to: { id: group.id, name: group.name } },
            tokenHint: { to: token.hint },
          },
        },
      ]);
      const created = await this.get(tenantId, rows[0].id, tx, {
        ...token,
        name: null,
        lastUsedAt: null,
        revokedAt: null,
      });
      return { ...created, token: token.token };
    });
  }

  async list(tenantId: string): Promise<IntegrationDto[]> {
    const rows: IntegrationRow[] = await this.sql.query(
      `${SELECT} WHERE i.tenant_id = $1 ORDER BY i.created_at, i.id`,
      [tenantId],
    );
    const ids = rows.map((r) => r.id);
    const [tokens, activity] = await Promise.all([
      this.tokens.currentScimTokens(tenantId, ids),
      this.activity.summary(tenantId, ids),
    ]);
    return rows.map((r) => this.toDto(r, tokens.get(r.id), activity.get(r.id)));
  }

  async get(
    tenantId: string,
    id: string,
    db: SqlRunner = this.sql,
    token?: TokenInfo,
  ): Promise<IntegrationDetailsDto> {
    const rows = await db.query<IntegrationRow>(`${SELECT} WHERE i.tenant_id = $1 AND i.id = $2`, [
      tenantId,
      id,
    ]);
    if (!rows[0]) throw ApiException.notFound('SCIM integration');
    // In the caller's transaction (a create): one connection, and no second one taken from the pool meanwhile.
    const current = token ?? (await this.tokens.currentScimTokens(tenantId, [id])).get(id);
    const activity = (await this.activity.summary(tenantId, [id], db)).get(id);
    const dto = this.toDto(rows[0], current, activity);
    return { ...dto, setup: providerSetup(dto.provider, dto.scimBaseUrl) };
  }

  /**
   * Renames, enables or disables an integration, or points it at another target group: its users then
   * leave the old target group and join the new one, in the same transaction. Each of these that changes
   * something is an audit event.
   */
  async update(
    tenantId: string,
    id: string,
    patch: UpdateIntegrationDto,
    actor: AuditActor,
  ): Promise<IntegrationDetailsDto> {
    await this.sql.transaction(async (tx) => {
      const rows = await tx.query<{ name: string; enabled: boolean; group_id: string; group_name: string }>(
        `SELECT i.name, i.enabled, i.group_id, g.name AS group_name
             FROM scim_integrations i JOIN groups g ON g.id = i.group_id AND g.tenant_id = i.tenant_id
            WHERE i.tenant_id = $1 AND i.id = $2 FOR UPDATE OF i`,
        [tenantId, id],
      );
      if (!rows[0]) throw ApiException.notFound('SCIM integration');
      const old = rows[0];
      const oldGroupId = old.group_id;
      let newGroup: GroupDto | undefined;
      if (patch.groupId !== undefined && patch.groupId !== oldGroupId) {
        newGroup = await this.groups.assertTargetable(tenantId, patch.groupId, tx);
        await memberships.moveDirectory(tx, { tenantId, integrationId: id }, oldGroupId, newGroup.id);
      }
      await tx.query(
        `UPDATE scim_integrations
            SET name = COALESCE($3, name), enabled = COALESCE($4, enabled), group_id = COALESCE($5, group_id),
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id, patch.name ?? null, patch.enabled ?? null, patch.groupId ?? null],
      );
      const name = patch.name ?? old.name;
      const events: AuditEventInput[] = [];
      if (name !== old.name) {
        events.push({
          action: 'integration.renamed',
          targetId: id,
          targetName: name,
          changes: { name: { from: old.name, to: name } },
        });
      }
      if (patch.enabled !== undefined && patch.enabled !== old.enabled) {
        events.push({
          action: patch.enabled ? 'integration.enabled' : 'integration.disabled',
          targetId: id,
          targetName: name,
          changes: { enabled: { from: old.enabled, to: patch.enabled } },
        });
      }
      if (newGroup) {
        events.push({
          action: 'integration.target_group_changed',
          targetId: id,
          targetName: name,
          changes: {
            group: {
              from: { id: oldGroupId, name: old.group_name },
              to: { id: newGroup.id, name: newGroup.name },
            },
          },
        });
      }
      await this.audit.record(tx, tenantId, actor, events);
    });
    // Disabling stops the token at once; a new target group must reach cached callers too.
    this.tokens.invalidate();
    return this.get(tenantId, id);
  }

  /**
   * Deletes the integration and its SCIM directory: its tokens stop at once; the users it provisioned
   * and the groups it pushed are deleted (with their memberships). Its target group stays.
   */
  async delete(tenantId: string, id: string, actor: AuditActor): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const deleted = await tx.query<{
        name: string;
        provider: ScimProvider;
        group_id: string;
        group_name: string;
      }>(
        `DELETE FROM scim_integrations i USING groups g
            WHERE i.tenant_id = $1 AND i.id = $2 AND g.tenant_id = i.tenant_id AND g.id = i.group_id
            RETURNING i.name, i.provider, i.group_id, g.name AS group_name`,
        [tenantId, id],
      );
      const gone = deleted[0];
      if (!gone) throw ApiException.notFound('SCIM integration');
      await this.audit.record(tx, tenantId, actor, [
        {
          action: 'integration.deleted',
          targetId: id,
          targetName: gone.name,
          changes: {
            name: { from: gone.name },
            provider: { from: gone.provider },
            group: { from: { id: gone.group_id, name: gone.group_name } },
          },
        },
      ]);
    });
    this.tokens.invalidate();
  }

  async rotateToken(
    tenantId: string,
    id: string,
    graceSeconds: number,
    actor: AuditActor,
  ): Promise<RotatedTokenDto> {
    const rotated = await this.sql.transaction(async (tx) => {
      const rows: { name: string }[] = await tx.query(
        `SELECT name FROM scim_integrations WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, id],
      );
      if (!rows[0]) throw ApiException.notFound('SCIM integration');
      const t = await this.tokens.rotateScimToken(tenantId, id, graceSeconds, tx);
      // The hints only, never the tokens; graceSeconds says how long the previous one keeps working.
      await this.audit.record(tx, tenantId, actor, [
        {
          action: 'integration.token_rotated',
          targetId: id,
          targetName: rows[0].name,
          changes: {
            tokenHint: { from: t.previousTokenHint, to: t.hint },
            graceSeconds: { to: graceSeconds },
          },
        },
      ]);
      return {
        token: t.token,
        tokenHint: t.hint,
        tokenCreatedAt: t.createdAt,
        previousTokenValidUntil: t.previousTokenValidUntil,
      };
    });
    // Only now that the rotation has committed: a look-up in between would cache the old answer again.
    this.tokens.invalidate();
    return rotated;
  }

  /** The integration's sync activity log, newest first; another tenant's integration is a 404. */
  async events(tenantId: string, id: string, q: EventQuery): Promise<ActivityPageDto> {
    const found: unknown[] = await this.sql.query(
      `SELECT 1 FROM scim_integrations WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    if (found.length === 0) throw ApiException.notFound('SCIM integration');
    return this.activity.list(tenantId, id, q);
  }

  private toDto(
    r: IntegrationRow,
    token: TokenInfo | undefined,
    activity: { lastEventAt: Date | null; failed24h: number } | undefined,
  ): IntegrationDto {
    const times = [token?.lastUsedAt, activity?.lastEventAt].filter((t): t is Date => t != null);
    return {
      id: r.id,
      name: r.name,
      provider: r.provider,
      enabled: r.enabled,
      group: { id: r.group_id, name: r.group_name },
      scimBaseUrl: this.scimBaseUrl(r.provider),
      tokenHint: token?.hint ?? '',
      tokenCreatedAt: token?.createdAt ?? r.created_at,
      tokenLastUsedAt: token?.lastUsedAt ?? null,
      lastRequestAt: times.length ? new Date(Math.max(...times.map((t) => new Date(t).getTime()))) : null,
      failedRequests24h: activity?.failed24h ?? 0,
      userCount: Number(r.user_count),
      groupCount: Number(r.group_count),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}
