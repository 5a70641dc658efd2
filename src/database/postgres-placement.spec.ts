import { mkdtempSync, mkdirSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastProblemLine, oneLine } from './embedded-error';
import { canReach } from './postgres-placement';

describe('embedded PostgreSQL placement', () => {
  const other = { name: 'nobody-here', uid: 987_654, gid: 987_654 };

  it('judges whether another account can pass through every directory down to a path', () => {
    const top = mkdtempSync(join(tmpdir(), 'bulwark-reach-'));
    try {
      mkdirSync(join(top, 'open', 'deeper'), { recursive: true });
      chmodSync(top, 0o755);
      chmodSync(join(top, 'open'), 0o755);
      expect(canReach(join(top, 'open', 'deeper', 'not-yet'), other)).toBe(true);
      chmodSync(top, 0o700); // like /root
      expect(canReach(join(top, 'open', 'deeper'), other)).toBe(false);
      chmodSync(top, 0o711); // enter without listing is enough
      expect(canReach(join(top, 'open', 'deeper'), other)).toBe(true);
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });

  it("turns a tool's output into the one reason worth printing", () => {
    const output = [
      'The files belonging to this database system will be owned by user "postgres".',
      '2026-12-02 13:00:00.000 UTC [42] FATAL:  data directory "/x" has wrong ownership',
      '2026-12-02 13:00:00.000 UTC [42] HINT:  The server must be started by the user that owns the data directory.',
    ].join('\n');
    expect(lastProblemLine(output)).toBe('FATAL:  data directory "/x" has wrong ownership');
    expect(lastProblemLine('')).toBe('no output');
    expect(oneLine('a\n  b\r\nc')).toBe('a b c');
  });
});
