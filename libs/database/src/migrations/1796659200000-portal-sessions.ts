import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin portal (issue 11): one-time links (`portal_links`) and the sessions they open
 * (`portal_sessions`), both keyed by (tenant_id, id), storing only hashes of their secrets; and the portal
 * session that made an audited change (`audit_events.actor_session_id`).
 */
export class PortalSessions1796659200000 implements MigrationInterface {
  name = 'PortalSessions1796659200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "portal_links" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "code_hash" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_by_kind" text NOT NULL, "created_by_token_id" uuid, CONSTRAINT "PK_2f312727f2c466ff987a45e1bca" PRIMARY KEY ("tenant_id", "id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_portal_links_tenant_code" ON "portal_links"  ("tenant_id", "code_hash") `,
    );
    await queryRunner.query(
      `CREATE TABLE "portal_sessions" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "link_id" uuid NOT NULL, "secret_hash" bytea NOT NULL, "hint" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_2f36f65fe28e00bc26487f8bc0d" PRIMARY KEY ("tenant_id", "id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_portal_sessions_tenant_secret" ON "portal_sessions"  ("tenant_id", "secret_hash") `,
    );
    await queryRunner.query(`ALTER TABLE "audit_events" ADD "actor_session_id" uuid`);
    await queryRunner.query(
      `ALTER TABLE "portal_links" ADD CONSTRAINT "FK_0aa91e628ef8b437f8338b72b4b" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "portal_sessions" ADD CONSTRAINT "FK_feffb17879b62e9794bde9ebeb0" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "portal_sessions" ADD CONSTRAINT "FK_18b7d19c4e9a2b21d4c9466a3f1" FOREIGN KEY ("tenant_id", "link_id") REFERENCES "portal_links"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "portal_sessions" DROP CONSTRAINT "FK_18b7d19c4e9a2b21d4c9466a3f1"`);
    await queryRunner.query(`ALTER TABLE "portal_sessions" DROP CONSTRAINT "FK_feffb17879b62e9794bde9ebeb0"`);
    await queryRunner.query(`ALTER TABLE "portal_links" DROP CONSTRAINT "FK_0aa91e628ef8b437f8338b72b4b"`);
    await queryRunner.query(`ALTER TABLE "audit_events" DROP COLUMN "actor_session_id"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_portal_sessions_tenant_secret"`);
    await queryRunner.query(`DROP TABLE "portal_sessions"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_portal_links_tenant_code"`);
    await queryRunner.query(`DROP TABLE "portal_links"`);
  }
}
