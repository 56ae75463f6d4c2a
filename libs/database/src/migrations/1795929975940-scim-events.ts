import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ScimEvents1795929975940 implements MigrationInterface {
  name = 'ScimEvents1795929975940';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "scim_events" ("id" BIGSERIAL NOT NULL, "tenant_id" uuid NOT NULL, "integration_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "method" text NOT NULL, "path" text NOT NULL, "resource_type" text, "resource_id" uuid, "resource_name" text, "status" smallint NOT NULL, "scim_type" text, "detail" text, "duration_ms" integer NOT NULL, "request_id" text NOT NULL, CONSTRAINT "PK_787e20410cbac4ed36bb18701c1" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_scim_events_created" ON "scim_events"  ("created_at") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_scim_events_integration_time" ON "scim_events"  ("tenant_id", "integration_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_events" ADD CONSTRAINT "FK_90242d44a2c5183c99b27b5b600" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_events" ADD CONSTRAINT "FK_c991410fc469e7d6ce1ed9ac7d1" FOREIGN KEY ("integration_id") REFERENCES "scim_integrations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // "Failed requests in the last 24 hours" and `status=failed` read only failures.
    await queryRunner.query(
      `CREATE INDEX "IDX_scim_events_failed" ON "scim_events" ("tenant_id", "integration_id", "created_at") WHERE "status" >= 400`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_scim_events_failed"`);
    await queryRunner.query(`ALTER TABLE "scim_events" DROP CONSTRAINT "FK_c991410fc469e7d6ce1ed9ac7d1"`);
    await queryRunner.query(`ALTER TABLE "scim_events" DROP CONSTRAINT "FK_90242d44a2c5183c99b27b5b600"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_scim_events_integration_time"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_scim_events_created"`);
    await queryRunner.query(`DROP TABLE "scim_events"`);
  }
}
