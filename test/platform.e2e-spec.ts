import request from 'supertest';
import { createTestApp, type TestApp } from '@rollcall/testing';
import { schemaDiff } from '@rollcall/database';

describe('platform', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers /health with the database status and a request id', async () => {
    const res = await request(t.http).get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database.status).toBe('up');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a well-formed incoming X-Request-Id', async () => {
    const res = await request(t.http).get('/health').set('X-Request-Id', 'edge-42').expect(200);
    expect(res.headers['x-request-id']).toBe('edge-42');
  });

  it('has nothing left to generate: the migrations match the entities', async () => {
    const diff = await schemaDiff(process.env.ROLLCALL_TEST_DATABASE_URL!);
    expect(diff.up).toEqual([]);
  });
});
