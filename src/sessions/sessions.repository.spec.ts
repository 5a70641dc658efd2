import type { DataSource } from 'typeorm';
import { isConnectionLost } from '../common/errors/database-errors';
import { SessionsRepository } from './sessions.repository';

/** A DataSource whose every statement goes to `query` (answering TypeORM's structured results). */
const dataSourceWith = (query: jest.Mock) =>
  ({ createQueryRunner: () => ({ query, release: async () => undefined }) }) as unknown as DataSource;
const answer = (records: unknown[]) => ({ records, affected: records.length });

const killed = () =>
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

describe('SessionsRepository.findCaller', () => {
  it('retries at once when the pooled connection was killed under it, and answers the caller', async () => {
    const query = jest
      .fn()
      .mockRejectedValueOnce(killed())
      .mockRejectedValueOnce(new Error('Connection terminated unexpectedly'))
      .mockResolvedValue(answer([{ role: 'admin' }]));
    const repo = new SessionsRepository(dataSourceWith(query));
    await expect(repo.findCaller('s', 'u')).resolves.toEqual({ id: 'u', role: 'admin', sessionId: 's' });
    expect(query).toHaveBeenCalledTimes(3);
  });

  it('gives up after three attempts, and never retries other failures', async () => {
    const always = jest.fn().mockRejectedValue(killed());
    await expect(new SessionsRepository(dataSourceWith(always)).findCaller('s', 'u')).rejects.toThrow(
      'terminating',
    );
    expect(always).toHaveBeenCalledTimes(3);
    const timeout = jest
      .fn()
      .mockRejectedValue(
        Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
      );
    await expect(new SessionsRepository(dataSourceWith(timeout)).findCaller('s', 'u')).rejects.toThrow(
      'timeout',
    );
    expect(timeout).toHaveBeenCalledTimes(1);
  });

  it('answers undefined for no live login', async () => {
    const repo = new SessionsRepository(dataSourceWith(jest.fn().mockResolvedValue(answer([]))));
    await expect(repo.findCaller('s', 'u')).resolves.toBeUndefined();
  });

  it('recognises lost connections only', () => {
    expect(isConnectionLost(killed())).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isConnectionLost('nope')).toBe(false);
  });
});
