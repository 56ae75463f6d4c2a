import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenant audit log (`audit_events`): keyed by (tenant_id, id), its one foreign key to the tenant; read
 * newest first per tenant on (tenant_id, created_at, id), and per target on (tenant_id, target_id, …).
 */
export class AuditLog1796486400000 implements MigrationInterface {
  name = 'AuditLog1796486400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "audit_events" ("tenant_id" uuid NOT NULL, "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "actor_kind" text NOT NULL, "actor_token_id" uuid, "actor_hint" text, "action" text NOT NULL, "target_type" text NOT NULL, "target_id" uuid NOT NULL, "target_name" text, "changes" jsonb NOT NULL DEFAULT '{}', "request_id" text NOT NULL, CONSTRAINT "PK_7445fcd6291ee354a6988ae6d3c" PRIMARY KEY ("tenant_id", "id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_events_target" ON "audit_events"  ("tenant_id", "target_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_events_time" ON "audit_events"  ("tenant_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "audit_events" ADD CONSTRAINT "FK_d7ff59f708e396fd6c1656a66e9" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_events" DROP CONSTRAINT "FK_d7ff59f708e396fd6c1656a66e9"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_events_time"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_events_target"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
  }
}
