import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The size of each user's stored resource as JSON text, kept beside it so that a /Users page can stop at a
 * byte budget without reading (or serialising) the resources it leaves out. Existing rows are measured once.
 */
export class ScimUserResourceBytes1796275200000 implements MigrationInterface {
  name = 'ScimUserResourceBytes1796275200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scim_users" ADD "resource_bytes" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`UPDATE "scim_users" SET "resource_bytes" = octet_length("resource"::text)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scim_users" DROP COLUMN "resource_bytes"`);
  }
}
