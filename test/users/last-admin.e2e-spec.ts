import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../helpers/app';
import { createAdmin, SignedIn } from '../helpers/auth';

/**
 * Nothing may leave the service without an enabled admin (issue 14, finding 9): the last one can be
 * neither demoted nor disabled, by itself or through two admins demoting each other at once.
 */
describe('the last enabled admin (e2e)', () => {
  let t: TestApp;
  let ds: DataSource;
  beforeAll(async () => {
    t = await createTestApp({ rateLimitPerMinute: 100_000 });
    ds = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  /** Every admin of this spec's database is made here; each test starts from none. */
  beforeEach(async () => {
    await ds.query(`UPDATE users SET role = 'user' WHERE role = 'admin'`);
  });

  const patch = (by: SignedIn, id: string, payload: object) =>
    t.inject({ method: 'PATCH', url: `/v1/users/${id}`, headers: by.auth, payload });

  const enabledAdmins = async () =>
    (await ds.query(`SELECT id FROM users WHERE role = 'admin' AND NOT disabled`)) as Array<{ id: string }>;

  const auditEntriesOf = async (id: string) =>
    Number(
      (
        (await ds.query(`SELECT count(*) AS n FROM audit_log WHERE entity_id = $1`, [id])) as Array<{
          n: string;
        }>
      )[0].n,
    );

  it.each([
    ['demoting itself', { role: 'user' }],
    ['disabling itself', { disabled: true }],
    ['both at once', { role: 'user', disabled: true, name: 'Gone' }],
  ])('refuses the only admin %s: 409 LAST_ADMIN, nothing changes, no audit entry', async (_name, change) => {
    const only = await createAdmin(t);
    const auditBefore = await auditEntriesOf(only.id);
    const res = await patch(only, only.id, change);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({
      status: 409,
      code: 'LAST_ADMIN',
      requestId: res.headers['x-request-id'],
    });
    expect(await enabledAdmins()).toEqual([{ id: only.id }]);
    const [row] = (await ds.query(`SELECT name, role, disabled FROM users WHERE id = $1`, [
      only.id,
    ])) as Array<Record<string, unknown>>;
    expect(row).toEqual({ name: 'Test Admin', role: 'admin', disabled: false });
    expect(await auditEntriesOf(only.id)).toBe(auditBefore);
    // Its logins were not ended either.
    expect((await t.inject({ method: 'GET', url: '/v1/users/me', headers: only.auth })).statusCode).toBe(200);
  });

  it('lets the only admin change its name, and an admin be demoted while another remains', async () => {
    const first = await createAdmin(t);
    expect(
      (await patch(first, first.id, { name: 'Renamed', role: 'admin', disabled: false })).statusCode,
    ).toBe(200);
    const second = await createAdmin(t);
    expect((await patch(second, second.id, { role: 'user' })).statusCode).toBe(200);
    expect(await enabledAdmins()).toEqual([{ id: first.id }]);
    // A disabled admin does not count as one that remains.
    const third = await createAdmin(t);
    expect((await patch(first, third.id, { disabled: true })).statusCode).toBe(200);
    expect((await patch(first, first.id, { role: 'user' })).json()).toMatchObject({ code: 'LAST_ADMIN' });
  });

  it('two admins demoting (or disabling) each other at the same moment never leave zero admins', async () => {
    for (let round = 0; round < 8; round += 1) {
      await ds.query(`UPDATE users SET role = 'user' WHERE role = 'admin'`);
      const a = await createAdmin(t);
      const b = await createAdmin(t);
      const change = round % 2 === 0 ? { role: 'user' } : { disabled: true };
      const [ab, ba] = await Promise.all([patch(a, b.id, change), patch(b, a.id, change)]);
      // One of them wins; the other is refused (or, if the winner's change ended its logins first, 401).
      const statuses = [ab.statusCode, ba.statusCode].sort();
      expect(statuses[0]).toBe(200);
      expect([401, 403, 409]).toContain(statuses[1]);
      const admins = await enabledAdmins();
      expect(admins).toHaveLength(1);
      expect([a.id, b.id]).toContain(admins[0].id);
    }
  });
});
