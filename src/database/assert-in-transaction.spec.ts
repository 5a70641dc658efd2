import type { EntityManager } from 'typeorm';
import { assertInTransaction } from './assert-in-transaction';

describe('assertInTransaction', () => {
  it('accepts a manager whose query runner is in an active transaction', () => {
    expect(() =>
      assertInTransaction(
        { queryRunner: { isTransactionActive: true } } as unknown as EntityManager,
        'Writer.write',
      ),
    ).not.toThrow();
  });

  it('refuses an inactive transaction and a manager without a query runner, naming the caller', () => {
    expect(() =>
      assertInTransaction(
        { queryRunner: { isTransactionActive: false } } as unknown as EntityManager,
        'Writer.write(x)',
      ),
    ).toThrow('Writer.write(x) must be called inside the transaction of the change it records');
    expect(() => assertInTransaction({} as EntityManager, 'Writer.write(y)')).toThrow(
      /^Writer\.write\(y\) must be called inside the transaction/,
    );
  });
});
