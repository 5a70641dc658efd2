import type { DataSource, EntityManager } from 'typeorm';
import { AUDIT_ACTIONS } from './audit-actions';
import { standaloneAuditWriter } from './audit.writer';

const writer = () => standaloneAuditWriter({} as DataSource);

function managerWith(isTransactionActive: boolean) {
  const query = jest.fn().mockResolvedValue({ records: [], affected: 1 });
  return { manager: { queryRunner: { isTransactionActive, query } } as unknown as EntityManager, query };
}

const entry = {
  action: AUDIT_ACTIONS.USER_UPDATED,
  actorId: '11111111-1111-4111-8111-111111111111',
  entity: 'user',
  entityId: '22222222-2222-4222-8222-222222222222',
  requestId: 'req-1',
  changes: { name: { from: 'a', to: 'b' }, password: 'never-stored', passwordChanged: true },
};

describe('AuditWriter', () => {
  it('inserts one row in the caller’s transaction, with secrets stripped from changes', async () => {
    const { manager, query } = managerWith(true);
    await writer().record(manager, entry);
    expect(query).toHaveBeenCalledTimes(1);
    const [sql, params] = query.mock.calls[0] as [string, unknown[]];
    expect(sql).toMatch(/^INSERT INTO audit_log/);
    expect(params.slice(0, 5)).toEqual([
      entry.actorId,
      entry.action,
      entry.entity,
      entry.entityId,
      entry.requestId,
    ]);
    expect(JSON.parse(params[5] as string)).toEqual({ name: { from: 'a', to: 'b' }, passwordChanged: true });
    expect(params[5]).not.toContain('never-stored');
  });

  it('refuses to write outside a transaction (it never opens its own)', async () => {
    const { manager, query } = managerWith(false);
    await expect(writer().record(manager, entry)).rejects.toThrow(/inside the transaction/);
    await expect(writer().record({ query } as unknown as EntityManager, entry)).rejects.toThrow(
      /inside the transaction/,
    );
    expect(query).not.toHaveBeenCalled();
  });

  it('writes {} when there are no changes', async () => {
    const { manager, query } = managerWith(true);
    await writer().record(manager, { ...entry, changes: undefined });
    expect((query.mock.calls[0] as [string, unknown[]])[1][5]).toBe('{}');
  });
});
