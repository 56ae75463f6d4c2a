import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createScimDirectory, createTestApp } from '@rollcall/testing';

/** Shutdown lets a request already in flight finish: its answer arrives, and what it wrote is stored. */
describe('graceful shutdown', () => {
  it('finishes an in-flight request after close() has begun, then refuses new connections', async () => {
    const t = await createTestApp();
    const { integration } = await createScimDirectory(t);
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const body = JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'in-flight@example.com',
    });

    // Headers now, body later: the request is in flight while the server starts closing.
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/scim/v2/Users',
          headers: {
            authorization: `Bearer ${integration.token}`,
            'content-type': 'application/scim+json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end(body), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const closing = t.app.close();

    const res = await answer;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({ userName: 'in-flight@example.com' });
    await closing;
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
