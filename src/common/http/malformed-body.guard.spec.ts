import type { ExecutionContext } from '@nestjs/common';
import { MALFORMED_BODY, TOO_DEEP_BODY, TOO_LARGE_BODY } from './malformed-body';
import { MalformedBodyGuard } from './malformed-body.guard';

function contextWith(body: unknown): ExecutionContext {
  return {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => ({ body }) }),
  } as unknown as ExecutionContext;
}

describe('MalformedBodyGuard', () => {
  const guard = new MalformedBodyGuard();

  it('rejects a body the lenient parser marked malformed, too deep or too large', () => {
    expect(() => guard.canActivate(contextWith(MALFORMED_BODY))).toThrow(
      expect.objectContaining({ code: 'MALFORMED_JSON', message: 'The request body is not valid JSON.' }),
    );
    expect(() => guard.canActivate(contextWith(TOO_DEEP_BODY))).toThrow(
      expect.objectContaining({ code: 'MALFORMED_JSON', message: expect.stringContaining('deeper than 32') }),
    );
    expect(() => guard.canActivate(contextWith(TOO_LARGE_BODY))).toThrow(
      expect.objectContaining({
        code: 'MALFORMED_JSON',
        message: expect.stringContaining('more than 1000 values'),
      }),
    );
  });

  it('lets any other body (or none) through', () => {
    expect(guard.canActivate(contextWith({ items: [] }))).toBe(true);
    expect(guard.canActivate(contextWith(undefined))).toBe(true);
  });
});
