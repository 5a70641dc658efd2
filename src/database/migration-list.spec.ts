import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS } from './migration-list';

describe('the migration list', () => {
  const files = readdirSync(join(__dirname, 'migrations'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
    .sort();

  it('names every file of migrations/, oldest first, each by the class its file exports', () => {
    // A file is `<timestamp>-<Name>.ts` exporting `<Name><timestamp>` (TypeORM's generator's naming).
    const expected = files.map((f) => {
      const [, timestamp, name] = /^(\d{13})-(\w+)\.ts$/.exec(f) ?? [];
      return `${name}${timestamp}`;
    });
    expect(MIGRATIONS.map((m) => m.name)).toEqual(expected);
  });

  it('records each under its class name, the name already in the migrations table', () => {
    for (const Migration of MIGRATIONS) expect(new Migration().name).toBe(Migration.name);
  });
});
