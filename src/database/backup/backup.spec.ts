import { fileArgument } from './cli';
import { connectionFor, dumpedByMajor, fromCaller } from './dump';
import { BackupError, candidateDirs, parseToolMajor, pickTool, PgTool } from './pg-tools';

const tool = (major: number, path = `/usr/lib/postgresql/${major}/bin/pg_dump`): PgTool => ({
  path,
  major,
  version: `pg_dump (PostgreSQL) ${major}.1`,
});

describe('PostgreSQL client programs', () => {
  it.each([
    ['pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)', 15],
    ['pg_restore (PostgreSQL) 18.1', 18],
    ['pg_dump (PostgreSQL) 9.6.24', 9],
    ['pg_dump (PostgreSQL) 19devel', 19],
    ['something else 15.2', undefined],
  ])('reads the major version of %p', (line, major) => expect(parseToolMajor(line)).toBe(major));

  it('picks the oldest program that is new enough for the server, the first found among equals', () => {
    const found = [tool(15), tool(18, '/a/pg_dump'), tool(17), tool(18, '/b/pg_dump')];
    expect(pickTool(found, 15)?.major).toBe(15);
    expect(pickTool(found, 16)?.major).toBe(17);
    expect(pickTool(found, 18)?.path).toBe('/a/pg_dump');
    expect(pickTool(found, 19)).toBeUndefined();
    expect(pickTool([], 0)).toBeUndefined();
  });

  it('looks only in PG_BIN_DIR when it is set, else in the packages and on PATH', () => {
    expect(candidateDirs({ pgBinDir: '/opt/pg18/bin', path: '/usr/bin' })).toEqual(['/opt/pg18/bin']);
    const dirs = candidateDirs({ path: '/usr/local/bin:/usr/bin::/usr/bin' });
    expect(dirs.slice(-2)).toEqual(['/usr/local/bin', '/usr/bin']);
    expect(new Set(dirs).size).toBe(dirs.length);
  });
});

describe('backup arguments', () => {
  it('keeps the password out of the URL handed to the programs', () => {
    expect(connectionFor('postgres://bulwark:s%40cret@db:5432/shop?sslmode=require')).toEqual({
      dbname: 'postgres://bulwark@db:5432/shop?sslmode=require',
      password: 's@cret',
      database: 'shop',
    });
    expect(connectionFor('postgresql://db/')).toMatchObject({ password: undefined, database: 'postgres' });
    expect(() => connectionFor('not a url')).toThrow(BackupError);
  });

  it('reads which pg_dump wrote an archive from its listing', () => {
    const listing =
      ';\n; Archive created at 2026-12-02\n;     Dumped from database version: 15.20\n;     Dumped by pg_dump version: 17.2\n';
    expect(dumpedByMajor(listing)).toBe(17);
    expect(dumpedByMajor('; nothing')).toBeUndefined();
  });

  it('takes a relative file name from where npm run was called', () => {
    expect(fromCaller('b.dump', { callerDir: '/home/op/backups' })).toBe('/home/op/backups/b.dump');
    expect(fromCaller('/srv/b.dump', { callerDir: '/home/op' })).toBe('/srv/b.dump');
  });

  it.each([
    ['db:backup', ['--out', 'x.dump'], 'x.dump'],
    ['db:backup', ['--out=y.dump'], 'y.dump'],
    ['db:restore', ['--from', 'z.dump'], 'z.dump'],
  ] as const)('%s %p → %p', (command, argv, file) => expect(fileArgument(command, argv)).toBe(file));

  it.each([
    ['db:backup', [], /--out <file> is required; usage: npm run db:backup -- --out <file>/],
    ['db:backup', ['--from', 'x'], /Unknown option '--from'.*usage: npm run db:backup/],
    ['db:restore', ['--out', 'x'], /Unknown option '--out'.*usage: npm run db:restore -- --from <file>/],
    ['db:restore', ['--from', ''], /--from <file> is required/],
    ['db:restore', ['--from', 'a', 'b'], /Unexpected argument 'b'/],
  ] as const)('%s %p is refused in one line', (command, argv, message) => {
    expect(() => fileArgument(command, argv)).toThrow(message);
    try {
      fileArgument(command, argv);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
