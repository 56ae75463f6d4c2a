import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a SCIM write changed: `changes` (the attributes, each with its old and new value; null when none) and
 * `outcome` (`changed`, `unchanged` or `failed`), and the indexes that find an integration's events of one
 * resource, by id or by name (ignoring case), newest first.
 *
 * `outcome` is added with a constant default, which PostgreSQL records in the catalog without rewriting the
 * table; only the failed events (found on their partial index) are then updated.
 */
export class ScimEventChanges1796572800000 implements MigrationInterface {
  name = 'ScimEventChanges1796572800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scim_events" ADD "changes" jsonb`);
    await queryRunner.query(`ALTER TABLE "scim_events" ADD "outcome" text NOT NULL DEFAULT 'changed'`);
    await queryRunner.query(`UPDATE scim_events SET outcome = 'failed' WHERE status >= 400`);
    await queryRunner.query(
      `CREATE INDEX "IDX_scim_events_resource" ON "scim_events"  ("tenant_id", "integration_id", "resource_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_scim_events_resource_name" ON "scim_events" ("tenant_id", "integration_id", lower("resource_name"), "created_at", "id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_scim_events_resource_name"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_scim_events_resource"`);
    await queryRunner.query(`ALTER TABLE "scim_events" DROP COLUMN "outcome"`);
    await queryRunner.query(`ALTER TABLE "scim_events" DROP COLUMN "changes"`);
  }
}
