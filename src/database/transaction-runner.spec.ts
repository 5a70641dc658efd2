import type { DataSource } from 'typeorm';
import { retryDelayMs, TransactionRunner } from './transaction-runner';

const failure = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe('TransactionRunner', () => {
  it('retries serialization failures and deadlocks, then succeeds', async () => {
    const outcomes = [failure('40001'), failure('40P01'), 'done'];
    const transaction = jest.fn(async () => {
      const next = outcomes.shift();
      if (next instanceof Error) throw next;
      return next;
    });
    const runner = new TransactionRunner({ transaction } as unknown as DataSource);
    await expect(runner.run(async () => 'unused')).resolves.toBe('done');
    expect(transaction).toHaveBeenCalledTimes(3);
  });

  it('gives up after a bounded number of attempts', async () => {
    const transaction = jest.fn(async () => {
      throw failure('40001');
    });
    const runner = new TransactionRunner({ transaction } as unknown as DataSource);
    await expect(runner.run(async () => 1)).rejects.toMatchObject({ code: '40001' });
    expect(transaction).toHaveBeenCalledTimes(5);
  });

  it('never retries other errors', async () => {
    const transaction = jest.fn(async () => {
      throw failure('23505');
    });
    const runner = new TransactionRunner({ transaction } as unknown as DataSource);
    await expect(runner.run(async () => 1)).rejects.toMatchObject({ code: '23505' });
    expect(transaction).toHaveBeenCalledTimes(1);
  });

  it('backs off with capped full jitter', () => {
    expect(retryDelayMs(1, () => 1)).toBe(20);
    expect(retryDelayMs(3, () => 1)).toBe(80);
    expect(retryDelayMs(10, () => 1)).toBe(200);
    expect(retryDelayMs(10, () => 0)).toBe(0);
  });
});
