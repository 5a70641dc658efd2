import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { handlerMetadata } from './handler-metadata';

class ControllerA {
  one(): void {}
  two(): void {}
}

function contextOf(handler: () => void, cls: object = ControllerA): ExecutionContext {
  return { getHandler: () => handler, getClass: () => cls } as unknown as ExecutionContext;
}

describe('handlerMetadata', () => {
  it('asks the reflector once per handler and key, and answers the same value after', () => {
    const values = new Map<unknown, unknown>([
      [ControllerA.prototype.one, true],
      [ControllerA.prototype.two, undefined],
    ]);
    const getAllAndOverride = jest.fn((_key: unknown, [handler]: unknown[]) => values.get(handler));
    const reflector = { getAllAndOverride } as unknown as Reflector;
    for (let i = 0; i < 3; i += 1) {
      expect(handlerMetadata(reflector, 'public', contextOf(ControllerA.prototype.one))).toBe(true);
      expect(handlerMetadata(reflector, 'public', contextOf(ControllerA.prototype.two))).toBeUndefined();
    }
    expect(handlerMetadata(reflector, 'roles', contextOf(ControllerA.prototype.one))).toBe(true);
    expect(getAllAndOverride).toHaveBeenCalledTimes(3);
    expect(getAllAndOverride).toHaveBeenCalledWith('public', [ControllerA.prototype.one, ControllerA]);
  });
});
