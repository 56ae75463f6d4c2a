import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the retention sweep of the admin portal's links and sessions reads (libs/tokens, PortalRetentionService),
 * so that it finds what has ended without reading either table whole:
 * - `IDX_portal_sessions_revoked`: revoked sessions, by the time they were revoked;
 * - `IDX_portal_sessions_idle`: sessions never revoked, by their last request (they end an idle time after it).
 *   Each portal request moves `last_seen_at`, so it now writes an index entry too: an admin's clicks, few;
 * - `IDX_portal_sessions_link`: a link's sessions, for "no session refers to it any more" and for the foreign
 *   key's check when a link is deleted;
 * - `IDX_portal_links_closed`: links by the time they could no longer be opened (used, or else expired).
 * None is unique, so none needs tenant_id (the one that has it has it to match the foreign key).
 */
export class PortalRetention1796745600000 implements MigrationInterface {
  name = 'PortalRetention1796745600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "IDX_portal_sessions_revoked" ON "portal_sessions" ("revoked_at") WHERE "revoked_at" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_portal_sessions_idle" ON "portal_sessions" ("last_seen_at") WHERE "revoked_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_portal_sessions_link" ON "portal_sessions"  ("tenant_id", "link_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_portal_links_closed" ON "portal_links" (LEAST("used_at", "expires_at"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_portal_links_closed"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_portal_sessions_link"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_portal_sessions_idle"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_portal_sessions_revoked"`);
  }
}
