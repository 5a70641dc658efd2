import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { TestApp } from './app';

/** A registered user as the tests know it (the password in clear, for logging in again). */
export interface RegisteredUser {
  id: string;
  email: string;
  name: string;
  password: string;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/** A signed-in user: the `auth` headers go straight into `t.inject({ headers: u.auth })`. */
export interface SignedIn extends RegisteredUser, Tokens {
  role: 'user' | 'admin';
  auth: { authorization: string };
}

let counter = 0;

export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${randomBytes(3).toString('hex')}@example.test`;
}

export function bearer(accessToken: string): { authorization: string } {
  return { authorization: `Bearer ${accessToken}` };
}

/** `POST /v1/auth/register`; fails the test unless it answers 201. */
export async function registerUser(
  t: TestApp,
  overrides: Partial<Omit<RegisteredUser, 'id'>> = {},
): Promise<RegisteredUser> {
  const body = {
    email: overrides.email ?? uniqueEmail(),
    password: overrides.password ?? `pw-${randomBytes(9).toString('base64url')}`,
    name: overrides.name ?? 'Test User',
  };
  const res = await t.inject({ method: 'POST', url: '/v1/auth/register', payload: body });
  if (res.statusCode !== 201) throw new Error(`register answered ${res.statusCode}: ${res.body}`);
  const user = res.json<{ id: string; email: string; name: string }>();
  return { id: user.id, email: user.email, name: user.name, password: body.password };
}

/** `POST /v1/auth/login`; fails the test unless it answers 200. */
export async function login(
  t: TestApp,
  email: string,
  password: string,
): Promise<Tokens & { auth: { authorization: string } }> {
  const res = await t.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login answered ${res.statusCode}: ${res.body}`);
  const { accessToken, refreshToken } = res.json<Tokens>();
  return { accessToken, refreshToken, auth: bearer(accessToken) };
}

/** Makes an existing user an admin directly in the database (as `npm run admin:create` would). */
export async function promoteToAdmin(t: TestApp, userId: string): Promise<void> {
  await t.app
    .get(DataSource)
    .query(`UPDATE users SET role = 'admin', updated_at = now() WHERE id = $1`, [userId]);
}

/** A new admin, registered, promoted and signed in. */
export async function createAdmin(
  t: TestApp,
  overrides: Partial<Omit<RegisteredUser, 'id'>> = {},
): Promise<SignedIn> {
  const user = await registerUser(t, {
    email: overrides.email ?? uniqueEmail('admin'),
    name: 'Test Admin',
    ...overrides,
  });
  await promoteToAdmin(t, user.id);
  return { ...user, role: 'admin', ...(await login(t, user.email, user.password)) };
}

/** A new user (role `user`), registered and signed in. */
export async function signedInUser(
  t: TestApp,
  overrides: Partial<Omit<RegisteredUser, 'id'>> = {},
): Promise<SignedIn> {
  const user = await registerUser(t, overrides);
  return { ...user, role: 'user', ...(await login(t, user.email, user.password)) };
}

/** A new admin, signed in (same as `createAdmin`). */
export function signedInAdmin(
  t: TestApp,
  overrides: Partial<Omit<RegisteredUser, 'id'>> = {},
): Promise<SignedIn> {
  return createAdmin(t, overrides);
}
