import { parseArgs } from 'node:util';
import pino from 'pino';
import { backupEnvironment } from '../../config/backup-environment';
import { ConfigError, loadConfig } from '../../config/config';
import { prepareRuntimeOrExit } from '../../runtime';
import { backupDatabase, restoreDatabase } from './dump';
import { BackupError } from './pg-tools';

type Command = 'db:backup' | 'db:restore';

const USAGE: Record<Command, string> = {
  'db:backup': 'npm run db:backup -- --out <file>',
  'db:restore': 'npm run db:restore -- --from <file>',
};

/** The one file argument (`--out` or `--from`), or a BackupError with the usage. */
export function fileArgument(command: Command, argv: readonly string[]): string {
  const name = command === 'db:backup' ? 'out' : 'from';
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { [name]: { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new BackupError(
      `${error instanceof Error ? error.message : String(error)}; usage: ${USAGE[command]}`,
    );
  }
  const file = values[name];
  if (typeof file !== 'string' || file === '')
    throw new BackupError(`--${name} <file> is required; usage: ${USAGE[command]}`);
  return file;
}

/**
 * `npm run db:backup -- --out <file>` and `npm run db:restore -- --from <file>` (docs/backup.md):
 * against DATABASE_URL, or with none the embedded PostgreSQL under DATA_DIR (started for the command
 * and stopped after it). Prints one line with what was done; on failure one line on stderr and exit 1
 * (69 when the embedded PostgreSQL cannot start).
 */
export async function main(command: Command, argv: readonly string[]): Promise<void> {
  const fail = (message: string): void => {
    process.stderr.write(`${command}: ${message}\n`);
    process.exitCode = 1;
  };
  let file: string;
  let config;
  try {
    file = fileArgument(command, argv);
    config = loadConfig(undefined, { requireJwtSecret: false });
  } catch (error) {
    if (error instanceof BackupError) return fail(error.message);
    if (error instanceof ConfigError) return fail(`invalid configuration: ${error.problems.join('; ')}`);
    throw error;
  }
  // Only the embedded PostgreSQL logs here (its start and stop), and only what needs attention.
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const runtime = config.databaseUrl
    ? { config, embedded: undefined }
    : await prepareRuntimeOrExit(config, logger);
  const url = runtime.config.databaseUrl as string;
  try {
    if (command === 'db:backup') {
      const r = await backupDatabase(url, file, backupEnvironment());
      process.stdout.write(
        `backup written: ${r.file} (${r.bytes} bytes, PostgreSQL ${r.serverMajor}, ${r.tool.path}, ${r.seconds.toFixed(1)} s)\n`,
      );
    } else {
      const r = await restoreDatabase(url, file, backupEnvironment());
      process.stdout.write(
        `restored ${r.file} into the database "${r.database}" in ${r.seconds.toFixed(1)} s (${r.tool.path})\n`,
      );
    }
  } catch (error) {
    if (error instanceof BackupError) fail(error.message);
    else fail(`unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await runtime.embedded?.stop();
  }
}
