import 'reflect-metadata';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { adminPasswordFromEnv } from '../config/admin-password';
import { ConfigError, EX_CONFIG, loadConfig } from '../config/config';
import { buildDataSourceOptions } from '../database/data-source-options';
import { runMigrations } from '../database/migrator';
import { createLogger } from '../logging/logger';
import { prepareRuntimeOrExit } from '../runtime';
import { ensureAdmin } from './admin-bootstrap';
import { EMAIL_AMBIGUITY_MESSAGES, emailAmbiguity, normalizeEmail } from '../common/email';

/**
 * `npm run admin:create -- --email E`: creates an admin (or promotes the existing user) on whatever
 * database the configuration names (DATABASE_URL, or the embedded one under DATA_DIR). The password
 * comes from ADMIN_PASSWORD, else from a prompt (or the first line of standard input). Prints one line.
 */
function emailFromArgs(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === '--email') return args[i + 1];
    if (args[i].startsWith('--email=')) return args[i].slice('--email='.length);
  }
  return undefined;
}

async function promptPassword(): Promise<string> {
  const input = process.stdin;
  const interactive = Boolean(input.isTTY);
  const rl = createInterface({ input, output: process.stderr, terminal: interactive });
  if (interactive) {
    // Hide what is typed: echo nothing but the prompt itself.
    const writer = rl as unknown as { _writeToOutput: (text: string) => void };
    writer._writeToOutput = (text: string) => {
      if (text.includes('Password')) process.stderr.write(text);
    };
  }
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.question(interactive ? 'Password for the new admin: ' : '', (answer) => resolve(answer));
      rl.once('close', () => reject(new Error('no password: set ADMIN_PASSWORD or type one at the prompt')));
    });
  } finally {
    if (interactive) process.stderr.write('\n');
    rl.close();
  }
}

function fail(message: string, code = 1): never {
  process.stderr.write(`admin:create: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const email = emailFromArgs(process.argv.slice(2));
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email))
    fail('usage: npm run admin:create -- --email E (password from ADMIN_PASSWORD or a prompt)', 64);
  const ambiguity = emailAmbiguity(normalizeEmail(email));
  if (ambiguity) fail(`the e-mail ${EMAIL_AMBIGUITY_MESSAGES[ambiguity]}`, 64);
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.problems.join('; '), EX_CONFIG);
    throw error;
  }
  // Standard output is the command's result (one line); anything logged goes to standard error.
  const logger = createLogger(
    { ...config, logLevel: config.logLevel === 'silent' ? 'silent' : 'warn' },
    pino.destination({ fd: 2, sync: true }),
  );
  const runtime = await prepareRuntimeOrExit(config, logger);
  const dataSource = new DataSource(buildDataSourceOptions(runtime.config, logger));
  try {
    await dataSource.initialize();
    if (runtime.config.migrateOnBoot) await runMigrations(dataSource, logger, runtime.config.migrations);
    const outcome = await ensureAdmin(dataSource, {
      email,
      password: async () => adminPasswordFromEnv() ?? (await promptPassword()),
      requestId: 'cli:admin-create',
    });
    const lower = normalizeEmail(email);
    const line = {
      created: `admin created: ${lower}`,
      promoted: `admin promoted: ${lower} (existing user, password unchanged)`,
      already_admin: `already an admin: ${lower} (nothing changed)`,
    }[outcome];
    process.stdout.write(`${line}\n`);
  } catch (error) {
    process.exitCode = 1;
    process.stderr.write(`admin:create: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await runtime.embedded?.stop();
  }
}

void main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
