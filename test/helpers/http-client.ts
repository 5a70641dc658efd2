import { randomBytes } from 'node:crypto';

/**
 * The one HTTP client of the specs that drive a running service over the network (system specs: the
 * built service as a process, replicas, a balancer). In-process e2e specs use `t.inject` and
 * test/helpers/auth.ts instead.
 */

/** An answer: the status, the headers and the body (parsed JSON, or undefined when empty). */
export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export class HttpClient {
  constructor(
    readonly baseUrl: string,
    /** The access token every request carries, when signed in. */
    readonly accessToken?: string,
    /** How long one request may wait for its answer. */
    private readonly timeoutMs = 30_000,
  ) {}

  /** `{ authorization: 'Bearer …' }` when signed in, `{}` otherwise. */
  get auth(): Record<string, string> {
    return this.accessToken === undefined ? {} : { authorization: `Bearer ${this.accessToken}` };
  }

  /** One request; a JSON body is sent as `application/json`. Never throws on a status. */
  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...this.auth,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** The body of a 2xx answer; any other status fails the spec with the answer. */
  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status < 200 || res.status >= 300)
      throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** The same caller (same token) against another process: replicas share the database. */
  on(baseUrl: string): HttpClient {
    return new HttpClient(baseUrl, this.accessToken, this.timeoutMs);
  }

  /** This service, signed in with `accessToken`. */
  withToken(accessToken: string): HttpClient {
    return new HttpClient(this.baseUrl, accessToken, this.timeoutMs);
  }
}

export interface Credentials {
  email: string;
  password: string;
  name: string;
}

/** Fresh, unique credentials (`prefix-…@example.test`, a random valid password). */
export function newCredentials(prefix = 'user'): Credentials {
  return {
    email: `${prefix}-${randomBytes(5).toString('hex')}@example.test`,
    password: `pw-${randomBytes(9).toString('base64url')}`,
    name: prefix,
  };
}

/** `POST /v1/auth/register`; fails the spec unless it answers 201. */
export async function register(client: HttpClient, credentials: Credentials): Promise<{ id: string }> {
  const res = await client.call<{ id: string }>('POST', '/v1/auth/register', credentials);
  if (res.status !== 201) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { id: res.body.id };
}

/** `POST /v1/auth/login`; fails the spec unless it answers 200. The client, signed in. */
export async function signIn(
  client: HttpClient,
  credentials: Pick<Credentials, 'email' | 'password'>,
): Promise<HttpClient> {
  const { email, password } = credentials;
  const res = await client.call<{ accessToken: string }>('POST', '/v1/auth/login', { email, password });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${JSON.stringify(res.body)}`);
  return client.withToken(res.body.accessToken);
}

/**
 * A new user, registered and signed in. An admin is promoted by `promote` (the spec's own SQL on the
 * service's database, as `npm run admin:create` would) between registration and login.
 */
export async function signUp(
  client: HttpClient,
  options: { role?: 'user' | 'admin'; promote?: (email: string) => Promise<unknown> } = {},
): Promise<{ id: string; credentials: Credentials; api: HttpClient }> {
  const role = options.role ?? 'user';
  const credentials = newCredentials(role);
  const { id } = await register(client, credentials);
  if (role === 'admin') {
    if (!options.promote) throw new Error('signUp: an admin needs `promote`');
    await options.promote(credentials.email);
  }
  return { id, credentials, api: await signIn(client, credentials) };
}

/** The statement that makes a registered user an admin, for `signUp`'s `promote`. */
export const PROMOTE_TO_ADMIN_SQL = `UPDATE users SET role = 'admin', updated_at = now() WHERE email = $1`;
