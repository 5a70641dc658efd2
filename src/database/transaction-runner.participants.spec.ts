import type { DataSource, EntityManager } from 'typeorm';
import { TransactionParticipant, TransactionRunner } from './transaction-runner';

/** A fake DataSource whose transaction commits when the callback resolves and rolls back when it throws. */
function fakeDataSource(log: string[]): DataSource {
  const manager = {} as EntityManager;
  return {
    transaction: async (_isolation: string, work: (m: EntityManager) => Promise<unknown>) => {
      log.push('BEGIN');
      try {
        const result = await work(manager);
        log.push('COMMIT');
        return result;
      } catch (error) {
        log.push('ROLLBACK');
        throw error;
      }
    },
  } as unknown as DataSource;
}

function recorder(log: string[], keep: boolean): TransactionParticipant {
  return {
    onBegin: async () => void log.push('onBegin'),
    onCommit: async (_m, result) => void log.push(`onCommit:${String(result)}`),
    onBusinessError: async () => {
      log.push('onBusinessError');
      return keep;
    },
    afterCommit: () => void log.push('afterCommit'),
  };
}

describe('TransactionRunner participants', () => {
  it('run around the work, inside the transaction', async () => {
    const log: string[] = [];
    const runner = new TransactionRunner(fakeDataSource(log));
    runner.register(recorder(log, false));
    await expect(runner.run(async () => (log.push('work'), 'ok'))).resolves.toBe('ok');
    expect(log).toEqual(['BEGIN', 'onBegin', 'work', 'onCommit:ok', 'COMMIT', 'afterCommit']);
  });

  it('a failure a participant keeps is committed, then rethrown', async () => {
    const log: string[] = [];
    const runner = new TransactionRunner(fakeDataSource(log));
    runner.register(recorder(log, true));
    const failure = new Error('short');
    await expect(runner.run(async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(log).toEqual(['BEGIN', 'onBegin', 'onBusinessError', 'COMMIT', 'afterCommit']);
  });

  it('a failure no participant keeps rolls back', async () => {
    const log: string[] = [];
    const runner = new TransactionRunner(fakeDataSource(log));
    runner.register(recorder(log, false));
    await expect(runner.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(log).toEqual(['BEGIN', 'onBegin', 'onBusinessError', 'ROLLBACK']);
  });

  it('a participant refusing at begin aborts before the work', async () => {
    const log: string[] = [];
    const runner = new TransactionRunner(fakeDataSource(log));
    runner.register({
      ...recorder(log, false),
      onBegin: async () => Promise.reject(new Error('in progress')),
    });
    const work = jest.fn();
    await expect(runner.run(work)).rejects.toThrow('in progress');
    expect(work).not.toHaveBeenCalled();
    expect(log).toEqual(['BEGIN', 'ROLLBACK']);
  });
});
