import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An event may stand for several requests: refused requests are summarised per integration and minute. */
export class ScimEventCount1796188800000 implements MigrationInterface {
  name = 'ScimEventCount1796188800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scim_events" ADD "count" integer NOT NULL DEFAULT '1'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scim_events" DROP COLUMN "count"`);
  }
}
