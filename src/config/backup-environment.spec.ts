import { backupEnvironment } from './backup-environment';

describe('backupEnvironment', () => {
  it('reads PG_BIN_DIR, PATH and where npm run was called', () => {
    const env = { PG_BIN_DIR: '/opt/pg/bin', PATH: '/usr/bin', INIT_CWD: '/home/op', PGSSLMODE: 'require' };
    expect(backupEnvironment(env)).toEqual({
      pgBinDir: '/opt/pg/bin',
      path: '/usr/bin',
      callerDir: '/home/op',
      childEnv: env,
    });
  });

  it('without them: no PG_BIN_DIR, an empty PATH, the current directory', () => {
    expect(backupEnvironment({ PG_BIN_DIR: '' })).toMatchObject({
      pgBinDir: undefined,
      path: '',
      callerDir: process.cwd(),
    });
  });
});
