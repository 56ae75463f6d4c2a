export * from './entities';
export * from './database.module';
export * from './data-source-options';
export { MIGRATIONS } from './migrations';
export * from './embedded-postgres';
export * from './pg-errors';
export * from './schema-diff';
export * from './sql.service';
export * from './statistics.service';
