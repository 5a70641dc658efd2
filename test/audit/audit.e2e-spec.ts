import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AUDIT_ACTIONS } from '../../src/audit/audit-actions';
import { AuditWriter } from '../../src/audit/audit.writer';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { createTestApp } from '../helpers/app';
import { bearer, registerUser, signedInAdmin, signedInUser, SignedIn, uniqueEmail } from '../helpers/auth';
import { scanResponses, ScannedApp } from '../helpers/secrets';

interface Entry {
  id: string;
  at: string;
  actorId: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  requestId: string;
  changes: Record<string, unknown>;
}

describe('audit trail: one entry per change, in its transaction, no secrets, append-only (e2e)', () => {
  let t: ScannedApp;
  let admin: SignedIn;
  const secrets: string[] = [];

  beforeAll(async () => {
    t = scanResponses(await createTestApp({ loginRateLimitPerMinute: 1000 }));
    admin = await signedInAdmin(t);
    secrets.push(admin.password, admin.accessToken, admin.refreshToken);
  });
  afterAll(async () => {
    await t.close();
  });

  const db = () => t.app.get(DataSource);
  /** Entries written under one request id, straight from the table. */
  async function entriesOf(requestId: string): Promise<Entry[]> {
    const res = await t.inject({ method: 'GET', url: `/v1/audit?limit=100`, headers: admin.auth });
    expect(res.statusCode).toBe(200);
    const rows = (await db().query('SELECT id FROM audit_log WHERE request_id = $1', [requestId])) as Array<{
      id: string;
    }>;
    const all = res.json<{ data: Entry[] }>().data.filter((e) => e.requestId === requestId);
    expect(all).toHaveLength(rows.length);
    return all;
  }
  const rid = () => `audit-test-${randomUUID()}`;
  const countAll = async () =>
    ((await db().query('SELECT count(*)::int AS n FROM audit_log')) as Array<{ n: number }>)[0].n;

  it('register → exactly one user.registered, actor = the new user', async () => {
    const requestId = rid();
    const password = 'register-password-1';
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/register',
      headers: { 'x-request-id': requestId },
      payload: { email: uniqueEmail(), password, name: 'R' },
    });
    secrets.push(password);
    const id = res.json().id as string;
    expect(await entriesOf(requestId)).toEqual([
      expect.objectContaining({
        action: AUDIT_ACTIONS.USER_REGISTERED,
        actorId: id,
        entity: 'user',
        entityId: id,
        requestId,
      }),
    ]);
  });

  it('login, refresh, reuse, logout → one entry each with the right actor and request id', async () => {
    const u = await registerUser(t);
    secrets.push(u.password);
    const loginId = rid();
    const login = await t.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'x-request-id': loginId },
      payload: { email: u.email, password: u.password },
    });
    const tokens = login.json<{ accessToken: string; refreshToken: string }>();
    secrets.push(tokens.accessToken, tokens.refreshToken);
    expect(await entriesOf(loginId)).toEqual([
      expect.objectContaining({
        action: AUDIT_ACTIONS.AUTH_LOGIN,
        actorId: u.id,
        entity: 'user',
        entityId: u.id,
      }),
    ]);

    const refreshId = rid();
    const refreshed = await t.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      headers: { 'x-request-id': refreshId },
      payload: { refreshToken: tokens.refreshToken },
    });
    const next = refreshed.json<{ accessToken: string; refreshToken: string }>();
    secrets.push(next.accessToken, next.refreshToken);
    expect(await entriesOf(refreshId)).toEqual([
      expect.objectContaining({ action: AUDIT_ACTIONS.AUTH_REFRESHED, actorId: u.id, entityId: u.id }),
    ]);

    const logoutId = rid();
    const out = await t.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: { ...bearer(next.accessToken), 'x-request-id': logoutId },
      payload: { refreshToken: next.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    expect(await entriesOf(logoutId)).toEqual([
      expect.objectContaining({ action: AUDIT_ACTIONS.AUTH_LOGOUT, actorId: u.id, entityId: u.id }),
    ]);

    const reuseId = rid();
    const second = (
      await t.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email: u.email, password: u.password },
      })
    ).json<{ refreshToken: string }>();
    secrets.push(second.refreshToken);
    await t.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: second.refreshToken },
    });
    const reused = await t.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      headers: { 'x-request-id': reuseId },
      payload: { refreshToken: second.refreshToken },
    });
    expect(reused.json().code).toBe('REFRESH_TOKEN_REUSED');
    expect(await entriesOf(reuseId)).toEqual([
      expect.objectContaining({ action: AUDIT_ACTIONS.AUTH_REFRESH_TOKEN_REUSED, entityId: u.id }),
    ]);
  });

  it('a failed login writes one auth.login_failed (entity id = the user when the e-mail exists, else null), without the password', async () => {
    const u = await registerUser(t);
    const wrongId = rid();
    const wrongPassword = 'Wrong-Password-Value-9';
    secrets.push(wrongPassword, u.password);
    await t.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'x-request-id': wrongId },
      payload: { email: u.email, password: wrongPassword },
    });
    const [failed] = await entriesOf(wrongId);
    expect(failed).toMatchObject({
      action: AUDIT_ACTIONS.AUTH_LOGIN_FAILED,
      actorId: null,
      entity: 'user',
      entityId: u.id,
      requestId: wrongId,
    });
    expect(failed.changes).toMatchObject({ email: u.email });
    const unknownId = rid();
    await t.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'x-request-id': unknownId },
      payload: { email: uniqueEmail(), password: wrongPassword },
    });
    expect(await entriesOf(unknownId)).toEqual([
      expect.objectContaining({ action: AUDIT_ACTIONS.AUTH_LOGIN_FAILED, entityId: null }),
    ]);
  });

  it('user changes → one user.updated each (own name, own password, admin role/disable), actor = who acted', async () => {
    const u = await signedInUser(t);
    secrets.push(u.password, u.accessToken, u.refreshToken);
    const nameId = rid();
    await t.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: { ...u.auth, 'x-request-id': nameId },
      payload: { name: 'Renamed' },
    });
    expect(await entriesOf(nameId)).toEqual([
      expect.objectContaining({
        action: AUDIT_ACTIONS.USER_UPDATED,
        actorId: u.id,
        entityId: u.id,
        changes: { name: { from: u.name, to: 'Renamed' } },
      }),
    ]);
    const passwordId = rid();
    const newPassword = 'The-New-Password-42';
    secrets.push(newPassword);
    const changed = await t.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: { ...u.auth, 'x-request-id': passwordId },
      payload: { password: newPassword, currentPassword: u.password },
    });
    expect(changed.statusCode).toBe(200);
    const [pw] = await entriesOf(passwordId);
    expect(pw).toMatchObject({
      action: AUDIT_ACTIONS.USER_UPDATED,
      actorId: u.id,
      changes: { passwordChanged: true, sessionsRevoked: 1 },
    });
    const adminId = rid();
    await t.inject({
      method: 'PATCH',
      url: `/v1/users/${u.id}`,
      headers: { ...admin.auth, 'x-request-id': adminId },
      payload: { role: 'admin', disabled: true },
    });
    expect(await entriesOf(adminId)).toEqual([
      expect.objectContaining({
        action: AUDIT_ACTIONS.USER_UPDATED,
        actorId: admin.id,
        entityId: u.id,
        changes: {
          role: { from: 'user', to: 'admin' },
          disabled: { from: false, to: true },
          sessionsRevoked: 0,
        },
      }),
    ]);
  });

  it('a mutation that fails writes nothing (taken e-mail, wrong current password, invalid body, no-op change)', async () => {
    const u = await signedInUser(t);
    secrets.push(u.password);
    const before = await countAll();
    const failures = [
      await t.inject({
        method: 'POST',
        url: '/v1/auth/register',
        payload: { email: u.email, password: 'whatever-password', name: 'x' },
      }),
      await t.inject({
        method: 'PATCH',
        url: '/v1/users/me',
        headers: u.auth,
        payload: { password: 'next-password-1', currentPassword: 'wrong-current' },
      }),
      await t.inject({ method: 'PATCH', url: '/v1/users/me', headers: u.auth, payload: { role: 'admin' } }),
      await t.inject({ method: 'PATCH', url: '/v1/users/me', headers: u.auth, payload: { name: u.name } }),
    ];
    expect(failures.map((f) => f.statusCode)).toEqual([409, 400, 400, 200]);
    expect(await countAll()).toBe(before);
  });

  it('an entry joins its transaction: when the transaction rolls back, the entry is gone too; outside one, the writer refuses', async () => {
    const before = await countAll();
    const writer = t.app.get(AuditWriter);
    const entry = {
      action: AUDIT_ACTIONS.USER_UPDATED,
      actorId: null,
      entity: 'user',
      entityId: null,
      requestId: rid(),
    };
    await expect(
      t.app.get(TransactionRunner).run(async (manager) => {
        await writer.record(manager, entry);
        throw new Error('the change failed after its audit entry');
      }),
    ).rejects.toThrow('the change failed');
    expect(await countAll()).toBe(before);
    await expect(writer.record(db().manager, entry)).rejects.toThrow(/inside the transaction/);
    expect(await countAll()).toBe(before);
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE on audit_log', async () => {
    const before = await countAll();
    expect(before).toBeGreaterThan(0);
    await expect(db().query(`UPDATE audit_log SET action = 'forged'`)).rejects.toThrow(/append-only/);
    await expect(db().query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(db().query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    expect(await countAll()).toBe(before);
    const forged = (await db().query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'forged'`,
    )) as Array<{ n: number }>;
    expect(forged[0].n).toBe(0);
  });

  it('GET /v1/audit filters by entity, entityId, actorId, action, from/to, and pages newest first', async () => {
    const u = await signedInUser(t);
    secrets.push(u.password, u.accessToken, u.refreshToken);
    const get = async (query: string) => {
      const res = await t.inject({ method: 'GET', url: `/v1/audit?${query}`, headers: admin.auth });
      expect(res.statusCode).toBe(200);
      return res.json<{ data: Entry[]; nextCursor: string | null }>();
    };
    const byEntity = await get(`entity=user&entityId=${u.id}`);
    expect(byEntity.data.map((e) => e.action)).toEqual([
      AUDIT_ACTIONS.AUTH_LOGIN,
      AUDIT_ACTIONS.USER_REGISTERED,
    ]);
    const byActor = await get(`actorId=${u.id}&action=${AUDIT_ACTIONS.AUTH_LOGIN}`);
    expect(byActor.data).toHaveLength(1);
    expect(byActor.data[0]).toMatchObject({ actorId: u.id, action: AUDIT_ACTIONS.AUTH_LOGIN });
    const at = byEntity.data[0].at;
    expect((await get(`entityId=${u.id}&from=${encodeURIComponent(at)}`)).data.map((e) => e.action)).toEqual([
      AUDIT_ACTIONS.AUTH_LOGIN,
    ]);
    expect((await get(`entityId=${u.id}&to=${encodeURIComponent(at)}`)).data.map((e) => e.action)).toEqual([
      AUDIT_ACTIONS.USER_REGISTERED,
    ]);

    const total = await countAll();
    const seen = new Set<string>();
    let cursor: string | null = null;
    let previous = Infinity;
    do {
      const page: { data: Entry[]; nextCursor: string | null } = await get(
        `limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      for (const e of page.data) {
        expect(Date.parse(e.at)).toBeLessThanOrEqual(previous);
        previous = Date.parse(e.at);
        seen.add(e.id);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(total);
    for (const bad of ['actorId=nope', 'from=yesterday', 'limit=500', 'color=blue']) {
      expect(
        (await t.inject({ method: 'GET', url: `/v1/audit?${bad}`, headers: admin.auth })).statusCode,
      ).toBe(400);
    }
  });

  it('no entry contains a secret: passwords, tokens, password hashes or token hashes', async () => {
    const dump = (
      (await db().query(`SELECT coalesce(string_agg(a::text, '\n'), '') AS dump FROM audit_log a`)) as Array<{
        dump: string;
      }>
    )[0].dump;
    expect(dump.length).toBeGreaterThan(0);
    expect(dump).not.toMatch(/\$argon2/);
    for (const secret of secrets) expect(dump).not.toContain(secret);
    const hashes = (await db().query('SELECT token_hash FROM refresh_tokens')) as Array<{
      token_hash: Buffer;
    }>;
    for (const { token_hash: h } of hashes) {
      expect(dump).not.toContain(h.toString('hex'));
      expect(dump).not.toContain(h.toString('base64'));
    }
    expect(dump).not.toMatch(/"(password|currentPassword|passwordHash|refreshToken|accessToken|token)"\s*:/);
  });

  it('no response contained a password, hash or token hash', async () => {
    await t.assertNoSecretsLeaked();
  });
});
