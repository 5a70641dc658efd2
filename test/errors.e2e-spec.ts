import { createTestApp, TestApp } from './helpers/app';

describe('errors, request ids and logging (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await t.inject({ method: 'GET', url: '/v1/nowhere' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({ status: 404, code: 'NOT_FOUND', title: expect.any(String), type: expect.any(String) });
    expect(body.requestId).toBe(res.headers['x-request-id']);
  });
});
