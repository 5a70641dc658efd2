import { createTestApp } from '../helpers/app';
import { signedInAdmin, signedInUser, SignedIn } from '../helpers/auth';
import { concrete, controllerRoutes, fastifyRoutes, RegisteredRoute } from '../helpers/routes';
import { scanResponses, ScannedApp } from '../helpers/secrets';

/**
 * Deny by default. The only routes anyone may call without a token (docs/identity.md, "Authorisation: deny by default"):
 * health, metrics, docs, and register/login/refresh.
 */
const PUBLIC_ROUTES: RegExp[] = [
  /^GET \/health\/(live|ready)$/,
  /^GET \/metrics$/,
  /^GET \/docs(\/.*)?$/,
  /^POST \/v1\/auth\/(register|login|refresh)$/,
];
const isPublicRoute = (r: RegisteredRoute) => PUBLIC_ROUTES.some((p) => p.test(`${r.method} ${r.path}`));

describe('authorization: every registered route is public by the list, or guarded (e2e)', () => {
  let t: ScannedApp;
  let routes: RegisteredRoute[];
  let userA: SignedIn;
  let userB: SignedIn;
  let admin: SignedIn;

  beforeAll(async () => {
    t = scanResponses(await createTestApp({ loginRateLimitPerMinute: 1000, rateLimitPerMinute: 100_000 }));
    routes = fastifyRoutes(t.app);
    userA = await signedInUser(t);
    userB = await signedInUser(t);
    admin = await signedInAdmin(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const call = (r: RegisteredRoute, headers: Record<string, string> = {}, payload?: unknown) =>
    t.inject({
      method: r.method as 'GET',
      url: concrete(r.path),
      headers,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  it('reads the route table (sanity: it has the auth, users and audit routes)', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        'POST /v1/auth/login',
        'GET /v1/users/me',
        'PATCH /v1/users/:id',
        'GET /v1/audit',
      ]),
    );
  });

  it('every Nest route is in the route table, and only listed routes are marked @Public()', () => {
    const table = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const declared = controllerRoutes(t.app);
    expect(declared.length).toBeGreaterThan(5);
    for (const r of declared) expect(table).toContain(`${r.method} ${r.path}`);
    const wronglyPublic = declared
      .filter((r) => r.isPublic && !isPublicRoute(r))
      .map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`);
    expect(wronglyPublic).toEqual([]);
  });

  it('anonymous → 401 UNAUTHENTICATED on every route not listed as public (a garbage token too)', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => !isPublicRoute(x))) {
      for (const headers of [{}, { authorization: 'Bearer garbage' }] as Array<Record<string, string>>) {
        const res = await call(r, headers);
        if (res.statusCode !== 401 || res.json().code !== 'UNAUTHENTICATED')
          failures.push(`${r.method} ${r.path} → ${res.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('authentication is checked before the body: a malformed body without a token → 401', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => !isPublicRoute(x) && ['POST', 'PATCH', 'PUT'].includes(x.method))) {
      const res = await t.inject({
        method: r.method as 'POST',
        url: concrete(r.path),
        headers: { 'content-type': 'application/json' },
        payload: '{"oops',
      });
      if (res.statusCode !== 401) failures.push(`${r.method} ${r.path} → ${res.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('the public routes answer without a token', async () => {
    const publicRoutes = routes.filter(isPublicRoute);
    expect(publicRoutes.length).toBeGreaterThanOrEqual(3);
    for (const r of publicRoutes) expect((await call(r)).statusCode).not.toBe(401);
  });

  it('a user → 403 FORBIDDEN on every @Roles("admin") route; an admin passes both guards', async () => {
    const adminRoutes = controllerRoutes(t.app).filter((r) => r.roles.includes('admin'));
    expect(adminRoutes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /v1/users', 'GET /v1/users/:id', 'PATCH /v1/users/:id', 'GET /v1/audit']),
    );
    const failures: string[] = [];
    for (const r of adminRoutes) {
      for (const u of [userA, userB]) {
        const res = await call(r, u.auth);
        if (res.statusCode !== 403 || res.json().code !== 'FORBIDDEN')
          failures.push(`user ${r.method} ${r.path} → ${res.statusCode}`);
      }
      const res = await call(r, admin.auth);
      if ([401, 403].includes(res.statusCode))
        failures.push(`admin ${r.method} ${r.path} → ${res.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('signed-in users pass authentication on every other guarded route', async () => {
    const declared = controllerRoutes(t.app).filter(
      (r) =>
        !r.isPublic && !r.roles.includes('admin') && !(r.method === 'POST' && r.path === '/v1/auth/logout'),
    );
    const failures: string[] = [];
    for (const r of declared) {
      const res = await call(r, userA.auth);
      if ([401, 403].includes(res.statusCode)) failures.push(`${r.method} ${r.path} → ${res.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it("the users API: /me is one's own; another user's record is out of reach (403 as a user, 404 when absent)", async () => {
    const meA = await t.inject({ method: 'GET', url: '/v1/users/me', headers: userA.auth });
    expect(meA.json()).toMatchObject({ id: userA.id, email: userA.email });
    expect(
      (await t.inject({ method: 'GET', url: `/v1/users/${userB.id}`, headers: userA.auth })).statusCode,
    ).toBe(403);
    expect(
      (
        await t.inject({
          method: 'PATCH',
          url: `/v1/users/${userB.id}`,
          headers: userA.auth,
          payload: { name: 'x' },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await t.inject({ method: 'GET', url: `/v1/users/${userB.id}`, headers: admin.auth })).json(),
    ).toMatchObject({ id: userB.id });
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await t.inject({ method: 'GET', url: `/v1/users/${id}`, headers: admin.auth });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
    }
  });

  it('no response contained a password, hash or token hash', async () => {
    await t.assertNoSecretsLeaked();
  });
});
