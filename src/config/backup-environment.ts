/** What `npm run db:backup` and `npm run db:restore` take from the environment (docs/backup.md). */
export interface BackupEnvironment {
  /** PG_BIN_DIR: when set, the only directory pg_dump and pg_restore are looked for in. */
  pgBinDir?: string;
  /** PATH: where the client programs are looked for after the packages. */
  path: string;
  /** INIT_CWD (set by `npm run`): the directory the command was called from; relative files start there. */
  callerDir: string;
  /** The environment pg_dump and pg_restore run with (the password is added per call, never on the command line). */
  childEnv: NodeJS.ProcessEnv;
}

export function backupEnvironment(env: NodeJS.ProcessEnv = process.env): BackupEnvironment {
  return {
    pgBinDir: env.PG_BIN_DIR || undefined,
    path: env.PATH ?? '',
    callerDir: env.INIT_CWD || process.cwd(),
    childEnv: { ...env },
  };
}
