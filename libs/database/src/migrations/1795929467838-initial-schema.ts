import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795929467838 implements MigrationInterface {
  name = 'InitialSchema1795929467838';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "tenants" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_53be67a04681c66b87ee27c9321" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "groups" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "integration_id" uuid, "name" text NOT NULL, "external_id" text, "resource" jsonb NOT NULL DEFAULT '{}', "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_659d1483316afb28afd3a90646e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_groups_integration_created" ON "groups"  ("tenant_id", "integration_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_groups_integration_external_id" ON "groups"  ("tenant_id", "integration_id", "external_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "scim_integrations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "name" text NOT NULL, "provider" text NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "group_id" uuid NOT NULL, "last_request_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_2180e16992b1e84310ea702e1ef" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_scim_integrations_tenant" ON "scim_integrations"  ("tenant_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "api_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "kind" text NOT NULL, "integration_id" uuid, "name" text, "token_hash" bytea NOT NULL, "hint" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_c587455266b5fa8dace7194caac" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_api_tokens_hash" ON "api_tokens"  ("token_hash") `);
    await queryRunner.query(`CREATE INDEX "IDX_api_tokens_integration" ON "api_tokens"  ("integration_id") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_api_tokens_tenant_kind" ON "api_tokens"  ("tenant_id", "kind", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "scim_users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "integration_id" uuid NOT NULL, "user_name" text NOT NULL, "external_id" text, "display_name" text, "active" boolean NOT NULL DEFAULT true, "resource" jsonb NOT NULL, "password_hash" text, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_341175fd19feb0f3ea0d50097e3" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_scim_users_created" ON "scim_users"  ("tenant_id", "integration_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_scim_users_external_id" ON "scim_users"  ("tenant_id", "integration_id", "external_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "group_members" ("tenant_id" uuid NOT NULL, "group_id" uuid NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1f2988a909b1e2fb17a4a433f9c" PRIMARY KEY ("tenant_id", "group_id", "user_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_group_members_user" ON "group_members"  ("tenant_id", "user_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "groups" ADD CONSTRAINT "FK_245f58bdfb3e9529b4100d9c5e7" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "groups" ADD CONSTRAINT "FK_aa472281a59f1099706c033159e" FOREIGN KEY ("integration_id") REFERENCES "scim_integrations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" ADD CONSTRAINT "FK_0e1fc6d64a02b4c5aa7e1e64d9a" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" ADD CONSTRAINT "FK_839d3f7a50cd30dd4d837fc5d7d" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_tokens" ADD CONSTRAINT "FK_2c3be6b98e872975a45a982507b" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_tokens" ADD CONSTRAINT "FK_8f3abd62e0189e061a09d098aa1" FOREIGN KEY ("integration_id") REFERENCES "scim_integrations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_users" ADD CONSTRAINT "FK_0f9f6540df6ad217449e960f337" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_users" ADD CONSTRAINT "FK_fd9d5d8472cead961dcc9805b8c" FOREIGN KEY ("integration_id") REFERENCES "scim_integrations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "group_members" ADD CONSTRAINT "FK_2c840df5db52dc6b4a1b0b69c6e" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "group_members" ADD CONSTRAINT "FK_20a555b299f75843aa53ff8b0ee" FOREIGN KEY ("user_id") REFERENCES "scim_users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // Case-insensitive uniqueness, which entity metadata cannot express (the entities mark these synchronize: false).
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_scim_users_user_name" ON "scim_users" ("tenant_id", "integration_id", lower("user_name"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_groups_admin_name" ON "groups" ("tenant_id", lower("name")) WHERE "integration_id" IS NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_groups_integration_name" ON "groups" ("tenant_id", "integration_id", lower("name")) WHERE "integration_id" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."UQ_groups_integration_name"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_groups_admin_name"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_scim_users_user_name"`);
    await queryRunner.query(`ALTER TABLE "group_members" DROP CONSTRAINT "FK_20a555b299f75843aa53ff8b0ee"`);
    await queryRunner.query(`ALTER TABLE "group_members" DROP CONSTRAINT "FK_2c840df5db52dc6b4a1b0b69c6e"`);
    await queryRunner.query(`ALTER TABLE "scim_users" DROP CONSTRAINT "FK_fd9d5d8472cead961dcc9805b8c"`);
    await queryRunner.query(`ALTER TABLE "scim_users" DROP CONSTRAINT "FK_0f9f6540df6ad217449e960f337"`);
    await queryRunner.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "FK_8f3abd62e0189e061a09d098aa1"`);
    await queryRunner.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "FK_2c3be6b98e872975a45a982507b"`);
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" DROP CONSTRAINT "FK_839d3f7a50cd30dd4d837fc5d7d"`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" DROP CONSTRAINT "FK_0e1fc6d64a02b4c5aa7e1e64d9a"`,
    );
    await queryRunner.query(`ALTER TABLE "groups" DROP CONSTRAINT "FK_aa472281a59f1099706c033159e"`);
    await queryRunner.query(`ALTER TABLE "groups" DROP CONSTRAINT "FK_245f58bdfb3e9529b4100d9c5e7"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_group_members_user"`);
    await queryRunner.query(`DROP TABLE "group_members"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_scim_users_external_id"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_scim_users_created"`);
    await queryRunner.query(`DROP TABLE "scim_users"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_api_tokens_tenant_kind"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_api_tokens_integration"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_api_tokens_hash"`);
    await queryRunner.query(`DROP TABLE "api_tokens"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_scim_integrations_tenant"`);
    await queryRunner.query(`DROP TABLE "scim_integrations"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_groups_integration_external_id"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_groups_integration_created"`);
    await queryRunner.query(`DROP TABLE "groups"`);
    await queryRunner.query(`DROP TABLE "tenants"`);
  }
}
