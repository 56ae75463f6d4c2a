import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DirectoryIdIndexes1795932400385 implements MigrationInterface {
  name = 'DirectoryIdIndexes1795932400385';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_groups_directory_id" ON "groups"  ("tenant_id", "integration_id", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_scim_users_directory_id" ON "scim_users"  ("tenant_id", "integration_id", "id") `,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."UQ_scim_users_directory_id"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_groups_directory_id"`);
  }
}
