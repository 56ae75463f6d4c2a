import { Injectable } from '@nestjs/common';
import { decodeTimeCursor, timePage } from '@rollcall/common';
import { SqlService, type SqlTransaction } from '@rollcall/database';
import { type AuditActor, type AuditEventInput, targetTypeOf } from './audit-event';
import type { AuditEventDto, AuditLogPageDto, AuditLogQuery } from './audit-event.dto';

interface AuditRow {
  id: string;
  created_at: Date;
  /** created_at with its microseconds, for the cursor. */
  created_text: string;
  actor_kind: AuditActor['kind'];
  actor_token_id: string | null;
  actor_hint: string | null;
  actor_session_id: string | null;
  action: AuditEventDto['action'];
  target_type: AuditEventDto['target']['type'];
  target_id: string;
  target_name: string | null;
  changes: AuditEventDto['changes'];
  request_id: string;
}

/**
 * The tenant audit log: the one writer and reader of `audit_events`. Every settings-API change records its
 * events here, in the change's own transaction, so that the log and the data cannot disagree.
 */
@Injectable()
export class AuditService {
  constructor(private readonly sql: SqlService) {}

  /**
   * Writes `events` (none: the request changed nothing, and nothing is written) in one statement, through
   * `tx`, which must be the change's transaction: if the change rolls back, so do its events, and if
   * they cannot be written, the change rolls back.
   */
  async record(
    tx: SqlTransaction,
    tenantId: string,
    actor: AuditActor,
    events: AuditEventInput[],
  ): Promise<void> {
    if (events.length === 0) return;
    if (tx.inTransaction !== true) {
      throw new Error('Audit events are written only in the transaction of the change they record');
    }
    const rows = events.map((e) => ({
      action: e.action,
      target_type: targetTypeOf(e.action),
      target_id: e.targetId,
      target_name: e.targetName,
      changes: e.changes ?? {},
    }));
    await tx.query(
      `INSERT INTO audit_events
              (tenant_id, actor_kind, actor_token_id, actor_hint, actor_session_id, request_id, action, target_type, target_id, target_name, changes)
       SELECT $1, $2, $3, $4, $5, $6, e->>'action', e->>'target_type', (e->>'target_id')::uuid, e->>'target_name', e->'changes'
         FROM jsonb_array_elements($7::jsonb) WITH ORDINALITY AS x(e, n)
        ORDER BY x.n`,
      [
        tenantId,
        actor.kind,
        actor.kind === 'admin' ? actor.tokenId : null,
        actor.kind === 'admin' ? actor.tokenHint : actor.kind === 'portal' ? actor.sessionHint : null,
        actor.kind === 'portal' ? actor.sessionId : null,
        actor.requestId,
        JSON.stringify(rows),
      ],
    );
  }

  /** The tenant's events, newest first, keyset-paginated on (time, id); filters by action and target. */
  async list(tenantId: string, q: AuditLogQuery): Promise<AuditLogPageDto> {
    const params: unknown[] = [tenantId];
    const where = ['tenant_id = $1'];
    if (q.action) where.push(`action = $${params.push(q.action)}`);
    if (q.targetId) where.push(`target_id = $${params.push(q.targetId)}::uuid`);
    if (q.cursor) {
      const [time, id] = decodeTimeCursor(q.cursor);
      where.push(`(created_at, id) < ($${params.push(time)}::timestamptz, $${params.push(id)}::bigint)`);
    }
    const rows = await this.sql.query<AuditRow>(
      `SELECT id, created_at, created_at::text AS created_text, actor_kind, actor_token_id, actor_hint, actor_session_id, action,
              target_type, target_id, target_name, changes, request_id
         FROM audit_events WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT ${q.limit + 1}`,
      params,
    );
    return timePage(rows, q.limit, toDto);
  }
}

function toDto(r: AuditRow): AuditEventDto {
  return {
    id: String(r.id),
    time: r.created_at,
    actor: {
      kind: r.actor_kind,
      tokenId: r.actor_token_id,
      tokenHint: r.actor_hint,
      sessionId: r.actor_session_id,
    },
    action: r.action,
    target: { type: r.target_type, id: r.target_id, name: r.target_name },
    changes: r.changes,
    requestId: r.request_id,
  };
}
