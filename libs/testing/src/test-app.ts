import type { INestApplication } from '@nestjs/common';
import type { App } from 'supertest/types';
import request from 'supertest';
import { randomBytes } from 'node:crypto';
import { type CreateAppOptions, createApp } from '@rollcall/api';
import { loadConfig, type AppConfig } from '@rollcall/common';
import { SqlService } from '@rollcall/database';

export const TEST_PUBLIC_URL = 'https://rollcall.test';

export interface TestApp {
  app: INestApplication;
  http: App;
  config: AppConfig;
  operatorToken: string;
  /** Direct SQL on the test database, to assert what is stored. */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function testDatabaseUrl(): string {
  const url = process.env.ROLLCALL_TEST_DATABASE_URL;
  if (!url) throw new Error('The test database is not set up (jest globalSetup)');
  return url;
}

/** The real application on the test database, as main.ts builds it. */
export async function createTestApp(
  env: Record<string, string> = {},
  options: CreateAppOptions = {},
): Promise<TestApp> {
  const operatorToken = 'rc_op_test_' + randomBytes(24).toString('hex');
  const config = loadConfig({
    PUBLIC_URL: TEST_PUBLIC_URL,
    LOG_LEVEL: 'silent',
    ROLLCALL_OPERATOR_TOKEN: operatorToken,
    DATABASE_URL: testDatabaseUrl(),
    ...env,
  });
  const app = await createApp(config, testDatabaseUrl(), { quiet: true, ...options });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const db = app.get(SqlService);
  return {
    app,
    http: app.getHttpServer() as App,
    config,
    operatorToken,
    sql: <T>(query: string, params?: unknown[]) => db.query(query, params) as Promise<T[]>,
    close: () => app.close(),
  };
}

export function api(t: TestApp) {
  return request(t.http);
}
