import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The activity log loses its index on time alone (`IDX_scim_events_created`): only the retention sweep used it,
 * and the sweep now goes integration by integration on `IDX_scim_events_integration_time`, each delete pinned to
 * one tenant (ADR 0004). One index fewer to write with every event.
 *
 * Dropping the index is quick whatever the table's size (it takes an exclusive lock on `scim_events` for a
 * moment). Rebuilding it in `down` reads the whole table and blocks writes to it meanwhile: on a log of tens of
 * millions of events, that is minutes without SCIM writes (each write inserts an event) — revert while the
 * server is stopped, or create the index with CONCURRENTLY beforehand, which a migration's transaction cannot.
 */
export class ScimEventIndexes1796832000000 implements MigrationInterface {
  name = 'ScimEventIndexes1796832000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_scim_events_created"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "IDX_scim_events_created" ON "scim_events" ("created_at") `);
  }
}
