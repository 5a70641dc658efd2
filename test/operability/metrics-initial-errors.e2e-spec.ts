import { createTestApp, TestApp } from '../helpers/app';

/**
 * The rollout analysis reads a canary's error ratio with `increase()`: a series born with its first
 * error has no earlier sample and that error would go unseen. Every API route's 500 and 503 series
 * therefore exist from the start, at 0.
 */
describe('server-error series exist from the start (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('exposes 500 and 503 at 0 for every /v1 route before any request', async () => {
    const text = (await t.inject({ method: 'GET', url: '/metrics' })).body;
    for (const [method, route] of [
      ['POST', '/v1/orders'],
      ['GET', '/v1/orders/:id'],
      ['GET', '/v1/users/me'],
      ['POST', '/v1/auth/login'],
    ]) {
      for (const status of ['500', '503']) {
        const line = text
          .split('\n')
          .find(
            (l) =>
              l.startsWith('http_requests_total{') &&
              l.includes(`method="${method}"`) &&
              l.includes(`route="${route}"`) &&
              l.includes(`status_code="${status}"`),
          );
        expect(line).toMatch(/ 0$/);
      }
    }
    expect(text).not.toMatch(/http_requests_total\{[^}]*route="\/health\/live"[^}]*status_code="500"/);
  });
});
