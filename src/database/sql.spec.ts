import type { DataSource, EntityManager } from 'typeorm';
import { affected, one, rows, SqlParams, whereAll } from './sql';

const runner = (records: unknown[] | undefined, count: number | undefined) => ({
  query: jest.fn().mockResolvedValue({ records, affected: count }),
  release: jest.fn().mockResolvedValue(undefined),
});

describe('the SQL helpers over TypeORM query results', () => {
  it('read the rows, the first row and the row count of the structured result', async () => {
    const r = runner([{ id: 'a' }, { id: 'b' }], 2);
    const db = { createQueryRunner: () => r } as unknown as DataSource;
    await expect(rows(db, 'SELECT', [1])).resolves.toEqual([{ id: 'a' }, { id: 'b' }]);
    await expect(one(db, 'SELECT')).resolves.toEqual({ id: 'a' });
    await expect(affected(db, 'UPDATE')).resolves.toBe(2);
    expect(r.query).toHaveBeenCalledWith('SELECT', [1], true);
    expect(r.release).toHaveBeenCalledTimes(3);
  });

  it('answer nothing for no row, and count the rows when the driver gives no count', async () => {
    const db = { createQueryRunner: () => runner(undefined, undefined) } as unknown as DataSource;
    await expect(rows(db, 'SELECT')).resolves.toEqual([]);
    await expect(one(db, 'SELECT')).resolves.toBeUndefined();
    await expect(affected(db, 'SELECT')).resolves.toBe(0);
  });

  it("join a transaction's manager on its own connection, never releasing it", async () => {
    const r = runner([{ n: 1 }], 1);
    const manager = { queryRunner: r, dataSource: {} } as unknown as EntityManager;
    await expect(one(manager, 'SELECT')).resolves.toEqual({ n: 1 });
    expect(r.release).not.toHaveBeenCalled();
  });

  it('use a connection of the pool for a manager outside a transaction, and give it back', async () => {
    const r = runner([], 0);
    const manager = {
      queryRunner: undefined,
      dataSource: { createQueryRunner: () => r },
    } as unknown as EntityManager;
    await rows(manager, 'SELECT');
    expect(r.release).toHaveBeenCalledTimes(1);
  });

  it('release the connection when the statement fails', async () => {
    const r = { query: jest.fn().mockRejectedValue(new Error('boom')), release: jest.fn() };
    await expect(rows({ createQueryRunner: () => r } as unknown as DataSource, 'SELECT')).rejects.toThrow(
      'boom',
    );
    expect(r.release).toHaveBeenCalledTimes(1);
  });

  it('number parameters in the order they are added, and join the conditions present', () => {
    const params = new SqlParams('x');
    expect(whereAll([`a = ${params.add(1)}`, undefined, false, null, `b = ${params.add(2)}`])).toBe(
      'WHERE a = $2 AND b = $3',
    );
    expect(params.values).toEqual(['x', 1, 2]);
    expect(whereAll([false, undefined])).toBe('');
  });
});
