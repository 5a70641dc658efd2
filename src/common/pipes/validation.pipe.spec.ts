import { randomUUID } from 'node:crypto';
import type { Type } from '@nestjs/common';
import { LoginDto } from '../../auth/dto/login.dto';
import { RegisterDto } from '../../auth/dto/register.dto';
import { CreateOrderDto } from '../../orders/dto/create-order.dto';
import { UpdateProductDto } from '../../products/dto/update-product.dto';
import { AdminUpdateUserDto } from '../../users/dto/admin-update-user.dto';
import { ListUsersDto } from '../../users/dto/list-users.dto';
import { CreateWebhookDto } from '../../webhooks/dto/create-webhook.dto';
import { AppError } from '../errors/app-error';
import { MAX_REPORTED_ERRORS } from './input-shape';
import { createValidationPipe } from './validation.pipe';

const pipe = createValidationPipe();

/** The refusal of `value` as `metatype`, or the accepted value. */
async function run(metatype: Type, value: unknown, type: 'body' | 'query' = 'body') {
  try {
    return { accepted: await pipe.transform(value, { type, metatype }) };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return {
      code: error.code,
      errors: error.errors ?? [],
      errorsOmitted: error.errorsOmitted,
      detail: error.message,
    };
  }
}

/** An array that counts reads of its elements: proof that none was looked at. */
function watched<T>(items: T[]): { array: T[]; reads: () => number } {
  let reads = 0;
  const array = new Proxy(items, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads += 1;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { array, reads: () => reads };
}

describe('the validation pipe: bounded work, bounded answers (issue 14, finding 1)', () => {
  it('judges an array by its length before any element: 33,000 items, one error, no element read', async () => {
    const { array, reads } = watched(Array.from({ length: 33_000 }, () => ({})));
    const result = await run(CreateOrderDto, { items: array });
    expect(result).toEqual({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'items', message: 'items must contain no more than 50 elements' }],
      errorsOmitted: undefined,
      detail: 'The request is not valid.',
    });
    expect(reads()).toBe(0);
  });

  it('counts unknown keys instead of listing them all: 14,000 keys, the first 20 listed', async () => {
    const body = Object.fromEntries(Array.from({ length: 14_000 }, (_, i) => [`k${i}`, 1]));
    const result = await run(LoginDto, body);
    expect(result).toMatchObject({ code: 'VALIDATION_FAILED', errorsOmitted: 14_000 - MAX_REPORTED_ERRORS });
    expect(result.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(result.errors?.[0]).toEqual({ field: 'k0', message: 'property k0 should not exist' });
    expect(result.detail).toBe('The request is not valid: 14000 errors, the first 20 listed.');
  });

  it('quotes a long or unprintable key shortened and cleaned, never as sent', async () => {
    const long = 'k'.repeat(90_000);
    const result = await run(LoginDto, { email: 'a@b.c', password: 'x', [long]: 1, 'a\u0000\ud800': 2 });
    expect(result.errors?.map((e) => e.field)).toEqual([`${'k'.repeat(64)}…`, 'a\ufffd\ufffd']);
    expect(JSON.stringify(result).length).toBeLessThan(1000);
  });

  it('caps the errors of the full validation too, with their count', async () => {
    const items = Array.from({ length: 50 }, () => ({ productId: 'not-a-uuid', quantity: 0 }));
    const result = await run(CreateOrderDto, { items });
    expect(result.code).toBe('VALIDATION_FAILED');
    expect(result.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(result.errorsOmitted).toBeGreaterThanOrEqual(100 - MAX_REPORTED_ERRORS);
  });

  it('refuses a container where a scalar belongs without opening it', async () => {
    const inner = {
      get deep(): never {
        throw new Error('opened');
      },
    };
    const result = await run(RegisterDto, { email: 'a@b.c', password: 'long enough pw', name: inner });
    expect(result).toMatchObject({ errors: [{ field: 'name', message: 'name must be a string' }] });
    const events = await run(CreateWebhookDto, { url: 'https://example.com/h', events: [['order.created']] });
    expect(events).toMatchObject({
      errors: [{ field: 'events.0', message: 'each value in events must be a string' }],
    });
  });
});

describe('the validation pipe: what is refused (issue 14, findings 5 and 9)', () => {
  it.each([
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '__proto__',
    '__defineGetter__',
    'isPrototypeOf',
  ])('refuses %s as an unknown property like any other', async (name) => {
    // JSON.parse, as the body parser does: `__proto__` becomes an own property, not a prototype.
    const body = JSON.parse(`{"email":"a@b.c","password":"secret","${name}":1}`) as object;
    expect(await run(LoginDto, body)).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: name, message: `property ${name} should not exist` }],
    });
  });

  it('refuses order items that are not objects: [[]], [null], [1], ["x"]', async () => {
    for (const item of [[], null, 1, 'x']) {
      expect(await run(CreateOrderDto, { items: [item] })).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'items.0', message: 'each value in items must be a JSON object' }],
      });
    }
  });

  it('refuses a body that is JSON but not an object; no body at all is an empty one', async () => {
    for (const body of [null, [], [{}], 'text', 7, true]) {
      expect(await run(UpdateProductDto, body)).toMatchObject({
        errors: [{ field: 'body', message: 'the body must be a JSON object' }],
      });
    }
    expect(await run(UpdateProductDto, undefined)).toEqual({ accepted: expect.any(UpdateProductDto) });
    expect(await run(UpdateProductDto, {})).toEqual({ accepted: expect.any(UpdateProductDto) });
  });

  it('refuses null in every field, optional or not', async () => {
    for (const [dto, body] of [
      [AdminUpdateUserDto, { role: null }],
      [AdminUpdateUserDto, { disabled: null }],
      [AdminUpdateUserDto, { name: null }],
      [UpdateProductDto, { priceCents: null }],
      [CreateOrderDto, { items: null }],
      [CreateOrderDto, { items: [{ productId: null, quantity: 1 }] }],
      [CreateOrderDto, { items: [{ productId: randomUUID(), quantity: null }] }],
    ] as Array<[Type, object]>) {
      expect({ body, result: await run(dto, body) }).toMatchObject({
        body,
        result: { code: 'VALIDATION_FAILED' },
      });
    }
  });

  it('refuses text PostgreSQL cannot store, in bodies and query filters (findings 3 and 4)', async () => {
    expect(
      await run(RegisterDto, { email: 'ada@example.com', password: 'long enough pw', name: 'a\u0000b' }),
    ).toMatchObject({
      errors: [{ field: 'name', message: 'name must not contain the NUL character (U+0000)' }],
    });
    expect(await run(LoginDto, { email: 'a\ud800@x.test', password: 'x' })).toMatchObject({
      errors: [{ field: 'email', message: 'email must be well-formed Unicode (no lone surrogate)' }],
    });
    // isEmail throws URIError on a lone surrogate: the registration e-mail is judged without it.
    expect(
      await run(RegisterDto, { email: 'a\ud800@x.test', password: 'long enough pw', name: 'n' }),
    ).toMatchObject({
      errors: [{ field: 'email', message: 'email must be well-formed Unicode (no lone surrogate)' }],
    });
    expect(await run(ListUsersDto, { email: 'a\u0000b' }, 'query')).toMatchObject({
      errors: [{ field: 'email', message: expect.stringContaining('NUL') }],
    });
  });

  it('normalises e-mails and refuses look-alikes in a new address only (finding 9)', async () => {
    expect(await run(LoginDto, { email: ' ＡＤＡ＠Example.com', password: 'x' })).toEqual({
      accepted: Object.assign(new LoginDto(), { email: 'ada@example.com', password: 'x' }),
    });
    for (const email of ['\u0430da@example.com', 'ad\u200ba@example.com', 'ada\u00ad@example.com']) {
      const result = await run(RegisterDto, { email, password: 'long enough pw', name: 'n' });
      expect({ email, result }).toMatchObject({
        email,
        result: { code: 'VALIDATION_FAILED', errors: [{ field: 'email' }] },
      });
      // Lookups find what exists (an account stored before the rules included): never refused.
      expect(await run(LoginDto, { email, password: 'long enough pw' })).toHaveProperty('accepted');
      expect(await run(ListUsersDto, { email }, 'query')).toHaveProperty('accepted');
    }
  });

  it('accepts a valid body and returns the DTO', async () => {
    const productId = randomUUID();
    const result = await run(CreateOrderDto, {
      items: [{ productId: productId.toUpperCase(), quantity: 2 }],
    });
    expect(result).toEqual({ accepted: expect.any(CreateOrderDto) });
    expect((result.accepted as CreateOrderDto).items).toEqual([{ productId, quantity: 2 }]);
  });
});
