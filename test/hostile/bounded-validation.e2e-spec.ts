import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from '../helpers/app';
import { signedInAdmin, SignedIn } from '../helpers/auth';
import { UNLIMITED } from '../helpers/catalog';
import type { OpenApiDocument } from '../helpers/openapi-contract';
import {
  BODY_LIMIT,
  bodyOperations,
  deepArrays,
  deepItems,
  manyItems,
  manyUnknownKeys,
  MAX_ANSWER_BYTES,
  sendJson,
} from '../helpers/bodies';

const PROBLEM = /^application\/problem\+json/;

/**
 * Issue 14, findings 1 and 2: any body under the size limit answers a bounded problem (at most 16 kB,
 * at most 20 listed errors, how many more in `errorsOmitted`); one nested deeper than 32 levels or
 * holding more than 1,000 values is refused before it is parsed, never a stack overflow or a 500. The CPU each body costs is measured by
 * `npm run bench:hostile` (bench/hostile.js), not timed here.
 */
describe('validation work and answers bounded by what is valid (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    t = await createTestApp(UNLIMITED);
    admin = await signedInAdmin(t);
    doc = (await t.inject({ method: 'GET', url: '/docs/openapi.json' })).json<OpenApiDocument>();
  });
  afterAll(async () => {
    await t.close();
  });

  const expectBoundedProblem = (
    res: { statusCode: number; headers: Record<string, unknown>; body: string },
    code: string,
  ) => {
    expect({ status: res.statusCode, type: res.headers['content-type'] }).toEqual({
      status: 400,
      type: expect.stringMatching(PROBLEM),
    });
    const problem = JSON.parse(res.body) as {
      code: string;
      requestId: string;
      detail: string;
      errors?: unknown[];
      errorsOmitted?: number;
    };
    expect(problem.code).toBe(code);
    expect(problem.requestId).toBe(res.headers['x-request-id']);
    expect(Buffer.byteLength(res.body)).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    return problem;
  };

  it('POST /v1/orders with ~34,000 empty items (the 10 MB answer of the finding): refused before parsing', async () => {
    const text = manyItems();
    expect(Buffer.byteLength(text)).toBeLessThan(BODY_LIMIT);
    const res = await sendJson(t, { method: 'POST', url: '/v1/orders', headers: admin.auth, text });
    expect(expectBoundedProblem(res, 'MALFORMED_JSON')).toMatchObject({
      detail: 'The request body holds more than 1000 values (array elements and object members).',
    });
  });

  it('POST /v1/orders with 900 items (within the parse limit): one error about the length, none per item', async () => {
    const res = await sendJson(t, {
      method: 'POST',
      url: '/v1/orders',
      headers: admin.auth,
      text: manyItems(900),
    });
    expect(expectBoundedProblem(res, 'VALIDATION_FAILED')).toMatchObject({
      errors: [{ field: 'items', message: 'items must contain no more than 50 elements' }],
    });
  });

  it('anonymous login, register and refresh with ~14,000 unknown keys (740 kB of errors in the finding): refused before parsing', async () => {
    const { text, keys } = manyUnknownKeys();
    expect(keys).toBeGreaterThan(12_000);
    for (const url of ['/v1/auth/login', '/v1/auth/register', '/v1/auth/refresh']) {
      const res = await sendJson(t, { method: 'POST', url, text });
      expect(expectBoundedProblem(res, 'MALFORMED_JSON').detail).toContain('more than 1000 values');
    }
  });

  it('anonymous login, register and refresh with 999 unknown keys: 20 listed, the rest counted', async () => {
    const { text, keys } = manyUnknownKeys(999);
    for (const url of ['/v1/auth/login', '/v1/auth/register', '/v1/auth/refresh']) {
      const problem = expectBoundedProblem(
        await sendJson(t, { method: 'POST', url, text }),
        'VALIDATION_FAILED',
      );
      expect({ url, listed: problem.errors?.length, omitted: problem.errorsOmitted }).toEqual({
        url,
        listed: 20,
        omitted: keys - 20,
      });
      expect(problem.detail).toBe(`The request is not valid: ${keys} errors, the first 20 listed.`);
    }
  });

  it('caps the errors of well-shaped but wrong bodies too: 50 items, each wrong twice', async () => {
    const items = Array.from({ length: 50 }, () => ({ productId: 'nope', quantity: 0 }));
    const res = await sendJson(t, {
      method: 'POST',
      url: '/v1/orders',
      headers: admin.auth,
      text: JSON.stringify({ items }),
    });
    const problem = expectBoundedProblem(res, 'VALIDATION_FAILED') as {
      errors: unknown[];
      errorsOmitted: number;
    };
    expect(problem.errors).toHaveLength(20);
    expect(problem.errorsOmitted).toBeGreaterThanOrEqual(80);
  });

  it('every body route: the worst bodies, over and under the parse limits, answer a bounded 400, never a 500', async () => {
    const id = randomUUID();
    const seen: Array<{ op: string; body: string; status: number; code: string; bytes: number }> = [];
    for (const op of bodyOperations(doc, id)) {
      for (const [name, text] of Object.entries({
        'parse: items': manyItems(),
        'parse: keys': manyUnknownKeys().text,
        'parse: deep': deepArrays(),
        'parse: deep items': deepItems(),
        'validation: items': manyItems(999),
        'validation: keys': manyUnknownKeys(999).text,
      })) {
        const res = await sendJson(t, { method: op.method, url: op.url, headers: admin.auth, text });
        seen.push({
          op: op.operationId,
          body: name,
          status: res.statusCode,
          code: (JSON.parse(res.body) as { code: string }).code,
          bytes: Buffer.byteLength(res.body),
        });
      }
    }
    // register, login, refresh, logout, updateMe, updateUser, createProduct, updateProduct,
    // createOrder, createWebhook.
    expect(new Set(seen.map((answer) => answer.op)).size).toBe(10);
    for (const answer of seen) {
      expect(answer).toEqual({
        ...answer,
        status: 400,
        code: answer.body.startsWith('parse') ? 'MALFORMED_JSON' : 'VALIDATION_FAILED',
        bytes: expect.any(Number),
      });
      expect(answer.bytes).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    }
  });

  it('10,000 levels of [ on an anonymous route: 400 MALFORMED_JSON naming the depth limit', async () => {
    const res = await sendJson(t, { method: 'POST', url: '/v1/auth/login', text: deepArrays() });
    expect(expectBoundedProblem(res, 'MALFORMED_JSON')).toMatchObject({
      detail: 'The request body nests arrays and objects deeper than 32 levels.',
    });
  });

  it('authentication still comes first: a too-deep body without a token is 401', async () => {
    const res = await sendJson(t, { method: 'POST', url: '/v1/orders', text: deepItems() });
    expect(res.statusCode).toBe(401);
  });

  it('accepts nesting up to 32 levels at parse time, where validation refuses it as a field error', async () => {
    const name = `${'['.repeat(31)}${']'.repeat(31)}`;
    const res = await sendJson(t, {
      method: 'PATCH',
      url: '/v1/users/me',
      headers: admin.auth,
      text: `{"name":${name}}`,
    });
    expect(expectBoundedProblem(res, 'VALIDATION_FAILED')).toMatchObject({
      errors: [{ field: 'name', message: 'name must be a string' }],
    });
    const tooDeep = await sendJson(t, {
      method: 'PATCH',
      url: '/v1/users/me',
      headers: admin.auth,
      text: `{"name":${'['.repeat(32)}${']'.repeat(32)}}`,
    });
    expectBoundedProblem(tooDeep, 'MALFORMED_JSON');
  });

  it('the service keeps serving after all of it', async () => {
    const res = await t.inject({ method: 'GET', url: '/v1/users/me', headers: admin.auth });
    expect(res.statusCode).toBe(200);
  });
});
