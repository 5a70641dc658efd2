import type { Logger } from 'pino';
import { housekeeping } from './housekeeping';

describe('housekeeping', () => {
  const logger = () =>
    ({ info: jest.fn(), warn: jest.fn() }) as unknown as Logger & { info: jest.Mock; warn: jest.Mock };

  it('returns and logs what was deleted, and stays quiet when nothing was', async () => {
    const log = logger();
    await expect(housekeeping(log, 'x', { a: 0 }, async () => ({ a: 3 }))).resolves.toEqual({ a: 3 });
    expect(log.info).toHaveBeenCalledWith({ deleted: { a: 3 } }, 'x: purged');
    await housekeeping(log, 'x', { a: 0 }, async () => ({ a: 0 }));
    expect(log.info).toHaveBeenCalledTimes(1);
  });

  it('turns a failure into a warning and the empty result', async () => {
    const log = logger();
    await expect(
      housekeeping(log, 'x', { a: 0 }, async () => {
        throw new Error('connect ECONNREFUSED');
      }),
    ).resolves.toEqual({ a: 0 });
    expect(log.warn).toHaveBeenCalledTimes(1);
  });
});
