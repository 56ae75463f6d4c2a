import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every reference between tenant-owned tables: table, column, referenced table. */
const CROSS_TENANT_REFERENCES = [
  ['groups', 'integration_id', 'scim_integrations'],
  ['scim_integrations', 'group_id', 'groups'],
  ['api_tokens', 'integration_id', 'scim_integrations'],
  ['scim_users', 'integration_id', 'scim_integrations'],
  ['group_members', 'group_id', 'groups'],
  ['group_members', 'user_id', 'scim_users'],
  ['scim_events', 'integration_id', 'scim_integrations'],
] as const;

/**
 * The database enforces tenancy: every tenant-owned table is keyed by (tenant_id, id), and every foreign key
 * between them carries tenant_id, so a row can never point into another tenant. Rows are kept as they are;
 * before the new keys are added, a row that already points into another tenant (which the code never wrote,
 * but a hand-made change could have) stops the migration with a message naming the table, and nothing changes.
 * api_tokens: the token hash is unique per tenant, and stays indexed on its own for tokens issued before
 * tokens carried their tenant (see TokensService.authenticate).
 */
export class TenantCompositeKeys1796400000000 implements MigrationInterface {
  name = 'TenantCompositeKeys1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column, target] of CROSS_TENANT_REFERENCES) {
      const rows = (await queryRunner.query(
        `SELECT count(*) AS n FROM "${table}" r JOIN "${target}" t ON t.id = r."${column}" WHERE t.tenant_id <> r.tenant_id`,
      )) as { n: string }[];
      if (Number(rows[0].n) > 0) {
        throw new Error(
          `${rows[0].n} row(s) of ${table} point through ${column} into another tenant's ${target}: fix them, then migrate again`,
        );
      }
    }
    await queryRunner.query(`ALTER TABLE "groups" DROP CONSTRAINT "FK_aa472281a59f1099706c033159e"`);
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" DROP CONSTRAINT "FK_839d3f7a50cd30dd4d837fc5d7d"`,
    );
    await queryRunner.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "FK_8f3abd62e0189e061a09d098aa1"`);
    await queryRunner.query(`ALTER TABLE "scim_users" DROP CONSTRAINT "FK_fd9d5d8472cead961dcc9805b8c"`);
    await queryRunner.query(`ALTER TABLE "group_members" DROP CONSTRAINT "FK_2c840df5db52dc6b4a1b0b69c6e"`);
    await queryRunner.query(`ALTER TABLE "group_members" DROP CONSTRAINT "FK_20a555b299f75843aa53ff8b0ee"`);
    await queryRunner.query(`ALTER TABLE "scim_events" DROP CONSTRAINT "FK_c991410fc469e7d6ce1ed9ac7d1"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_api_tokens_hash"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_api_tokens_integration"`);
    await queryRunner.query(`ALTER TABLE "groups" DROP CONSTRAINT "PK_659d1483316afb28afd3a90646e"`);
    await queryRunner.query(
      `ALTER TABLE "groups" ADD CONSTRAINT "PK_bf07d64e08a531c1bfef28a2e73" PRIMARY KEY ("tenant_id", "id")`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" DROP CONSTRAINT "PK_2180e16992b1e84310ea702e1ef"`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" ADD CONSTRAINT "PK_bf2445a0041f245a9e24d3c71fb" PRIMARY KEY ("tenant_id", "id")`,
    );
    await queryRunner.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "PK_c587455266b5fa8dace7194caac"`);
    await queryRunner.query(
      `ALTER TABLE "api_tokens" ADD CONSTRAINT "PK_43d889651a9d6d33fb3f78a77d9" PRIMARY KEY ("tenant_id", "id")`,
    );
    await queryRunner.query(`ALTER TABLE "scim_users" DROP CONSTRAINT "PK_341175fd19feb0f3ea0d50097e3"`);
    await queryRunner.query(
      `ALTER TABLE "scim_users" ADD CONSTRAINT "PK_23294dc8f8ad47072cad2105e2e" PRIMARY KEY ("tenant_id", "id")`,
    );
    await queryRunner.query(`ALTER TABLE "scim_events" DROP CONSTRAINT "PK_787e20410cbac4ed36bb18701c1"`);
    await queryRunner.query(
      `ALTER TABLE "scim_events" ADD CONSTRAINT "PK_5b7bfb5cf33a763553c2ecbaeff" PRIMARY KEY ("tenant_id", "id")`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_api_tokens_hash" ON "api_tokens"  ("token_hash") `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_api_tokens_tenant_hash" ON "api_tokens"  ("tenant_id", "token_hash") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_api_tokens_integration" ON "api_tokens"  ("tenant_id", "integration_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "groups" ADD CONSTRAINT "FK_3c4d14b56e2fa1c5ff4624b337a" FOREIGN KEY ("tenant_id", "integration_id") REFERENCES "scim_integrations"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" ADD CONSTRAINT "FK_768c9df9640ba8d80cba5b229d7" FOREIGN KEY ("tenant_id", "group_id") REFERENCES "groups"("tenant_id","id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_tokens" ADD CONSTRAINT "FK_d8a6e40274516f0e3aabbc844c0" FOREIGN KEY ("tenant_id", "integration_id") REFERENCES "scim_integrations"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_users" ADD CONSTRAINT "FK_c17380cffe45c15ef44d4d0a1a6" FOREIGN KEY ("tenant_id", "integration_id") REFERENCES "scim_integrations"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "group_members" ADD CONSTRAINT "FK_cca3a9380d41ff5d6059b949559" FOREIGN KEY ("tenant_id", "group_id") REFERENCES "groups"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "group_members" ADD CONSTRAINT "FK_153bcf07fc4b3149e4590a2e94f" FOREIGN KEY ("tenant_id", "user_id") REFERENCES "scim_users"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_events" ADD CONSTRAINT "FK_8e94f9b588a2dab88369e4bac95" FOREIGN KEY ("tenant_id", "integration_id") REFERENCES "scim_integrations"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scim_events" DROP CONSTRAINT "FK_8e94f9b588a2dab88369e4bac95"`);
    await queryRunner.query(`ALTER TABLE "group_members" DROP CONSTRAINT "FK_153bcf07fc4b3149e4590a2e94f"`);
    await queryRunner.query(`ALTER TABLE "group_members" DROP CONSTRAINT "FK_cca3a9380d41ff5d6059b949559"`);
    await queryRunner.query(`ALTER TABLE "scim_users" DROP CONSTRAINT "FK_c17380cffe45c15ef44d4d0a1a6"`);
    await queryRunner.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "FK_d8a6e40274516f0e3aabbc844c0"`);
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" DROP CONSTRAINT "FK_768c9df9640ba8d80cba5b229d7"`,
    );
    await queryRunner.query(`ALTER TABLE "groups" DROP CONSTRAINT "FK_3c4d14b56e2fa1c5ff4624b337a"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_api_tokens_integration"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_api_tokens_tenant_hash"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_api_tokens_hash"`);
    await queryRunner.query(`ALTER TABLE "scim_events" DROP CONSTRAINT "PK_5b7bfb5cf33a763553c2ecbaeff"`);
    await queryRunner.query(
      `ALTER TABLE "scim_events" ADD CONSTRAINT "PK_787e20410cbac4ed36bb18701c1" PRIMARY KEY ("id")`,
    );
    await queryRunner.query(`ALTER TABLE "scim_users" DROP CONSTRAINT "PK_23294dc8f8ad47072cad2105e2e"`);
    await queryRunner.query(
      `ALTER TABLE "scim_users" ADD CONSTRAINT "PK_341175fd19feb0f3ea0d50097e3" PRIMARY KEY ("id")`,
    );
    await queryRunner.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "PK_43d889651a9d6d33fb3f78a77d9"`);
    await queryRunner.query(
      `ALTER TABLE "api_tokens" ADD CONSTRAINT "PK_c587455266b5fa8dace7194caac" PRIMARY KEY ("id")`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" DROP CONSTRAINT "PK_bf2445a0041f245a9e24d3c71fb"`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" ADD CONSTRAINT "PK_2180e16992b1e84310ea702e1ef" PRIMARY KEY ("id")`,
    );
    await queryRunner.query(`ALTER TABLE "groups" DROP CONSTRAINT "PK_bf07d64e08a531c1bfef28a2e73"`);
    await queryRunner.query(
      `ALTER TABLE "groups" ADD CONSTRAINT "PK_659d1483316afb28afd3a90646e" PRIMARY KEY ("id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_api_tokens_integration" ON "api_tokens" USING btree ("integration_id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_api_tokens_hash" ON "api_tokens" USING btree ("token_hash") `,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_events" ADD CONSTRAINT "FK_c991410fc469e7d6ce1ed9ac7d1" FOREIGN KEY ("integration_id") REFERENCES "scim_integrations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "group_members" ADD CONSTRAINT "FK_20a555b299f75843aa53ff8b0ee" FOREIGN KEY ("user_id") REFERENCES "scim_users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "group_members" ADD CONSTRAINT "FK_2c840df5db52dc6b4a1b0b69c6e" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_users" ADD CONSTRAINT "FK_fd9d5d8472cead961dcc9805b8c" FOREIGN KEY ("integration_id") REFERENCES "scim_integrations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_tokens" ADD CONSTRAINT "FK_8f3abd62e0189e061a09d098aa1" FOREIGN KEY ("integration_id") REFERENCES "scim_integrations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_integrations" ADD CONSTRAINT "FK_839d3f7a50cd30dd4d837fc5d7d" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "groups" ADD CONSTRAINT "FK_aa472281a59f1099706c033159e" FOREIGN KEY ("integration_id") REFERENCES "scim_integrations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }
}
