// Paths and runners for the deployment specs. The binaries come from scripts/setup.d/20-deploy-tools.sh.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CHART = path.join(ROOT, 'helm', 'bulwark');
export const HELM4 = path.join(ROOT, '.tools', 'helm4', 'helm');
export const HELM3 = path.join(ROOT, '.tools', 'helm3', 'helm');
export const DOCKERLINTER = path.join(ROOT, '.tools', 'dockerlinter', 'node_modules', '.bin', 'dockerlinter');

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Fails with the fix when a tool is missing, rather than skipping silently. */
export function requireTool(file: string): string {
  if (fs.existsSync(file)) return file;
  const found = spawnSync('sh', ['-c', `command -v ${file}`], { encoding: 'utf8' });
  if (found.status === 0) return found.stdout.trim();
  throw new Error(`${file} is missing: run scripts/setup.d/20-deploy-tools.sh`);
}

export function run(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): RunResult {
  const res = spawnSync(requireTool(file), args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.error) throw res.error;
  return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

let helmHome: string | undefined;
/** Helm keeps its cache/config/data in a throw-away folder: no network, no user state. */
export function helmEnv(): NodeJS.ProcessEnv {
  helmHome ??= fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-helm-'));
  return {
    ...process.env,
    HELM_CACHE_HOME: path.join(helmHome, 'cache'),
    HELM_CONFIG_HOME: path.join(helmHome, 'config'),
    HELM_DATA_HOME: path.join(helmHome, 'data'),
  };
}

export function helm(args: string[], bin: string = HELM4): RunResult {
  return run(bin, args, { env: helmEnv() });
}

/** A scratch folder inside the repository (git-ignored .tmp/) so that node_modules resolves. */
export function scratchDir(prefix: string): string {
  const base = path.join(ROOT, '.tmp');
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `${prefix}-`));
}
