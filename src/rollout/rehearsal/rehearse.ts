#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Rehearsal } from './rehearsal';
import { ScenarioName, SCENARIOS } from './scenarios';

// `npm run rehearse -- --scenario faulty|healthy|slow|blind|crash|unsized`: the rehearsal's entry point and the only
// file of it that touches the process (arguments, environment, stdout/stderr, signals, exit code).
// Exits with the tool's own exit code (0 promoted, 2 rolled back; 1 when the stage itself failed).

const USAGE = `usage: rehearse --scenario faulty|healthy|slow|blind|crash|unsized [--database-url URL] [--json] [--report FILE] [--html FILE] [--keep] [--app dist/main.js]
  --database-url   PostgreSQL for both colours (default: $DATABASE_URL, else an embedded PostgreSQL)
  --json           print the tool's decisions as JSON lines
  --report FILE    write a JSON summary (exit code, nginx weights, client failures, where traffic went)
  --html FILE      have the tool write its report page of the run there (bulwark-rollout run --report)
  --keep           keep the stage's directory (logs, nginx and prometheus config) afterwards`;

async function rehearse(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      'database-url': { type: 'string' },
      json: { type: 'boolean' },
      report: { type: 'string' },
      html: { type: 'string' },
      keep: { type: 'boolean' },
      app: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const scenario = SCENARIOS[values.scenario as ScenarioName];
  if (values.help || !scenario) {
    process.stderr.write(`${values.help ? '' : `unknown or missing --scenario\n`}${USAGE}\n`);
    return values.help ? 0 : 1;
  }
  const json = values.json ?? false;
  const say = (line: string): void => {
    process.stdout.write(json ? `${JSON.stringify({ rehearsal: line })}\n` : `rehearsal: ${line}\n`);
  };
  const rehearsal = new Rehearsal({
    scenario,
    databaseUrl: values['database-url'] ?? process.env.DATABASE_URL,
    appEntry: values.app ? resolve(values.app) : undefined,
    json,
    reportFile: values.report,
    htmlReportFile: values.html ? resolve(values.html) : undefined,
    keep: values.keep ?? false,
    env: process.env,
    say,
    show: (line) => {
      process.stdout.write(`${line}\n`);
    },
  });
  // Ctrl-C or a test timeout: tear the stage down rather than leave nginx and Prometheus behind.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      say(`${sig}: tearing the stage down`);
      void rehearsal.teardown().finally(() => process.exit(1));
    });
  }
  return rehearsal.run();
}

rehearse().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`rehearsal failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
