import type request from 'supertest';

/**
 * A settings-API error as every client sees it: the status, JSON, and exactly the one error shape
 * `{status, code, message, requestId, errors?}`, with the request id of the `X-Request-Id` header and no
 * stack trace.
 */
export function expectApiError(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
  expect(res.body).toEqual(
    expect.objectContaining({
      status,
      code,
      message: expect.any(String),
      requestId: res.headers['x-request-id'],
    }),
  );
  expect(res.body.message.length).toBeGreaterThan(0);
  for (const key of Object.keys(res.body))
    expect(['status', 'code', 'message', 'requestId', 'errors']).toContain(key);
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
}
