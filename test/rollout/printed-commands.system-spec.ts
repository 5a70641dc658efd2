// Every promotion-tool command the project prints for a reader to run — README.md, docs/*.md,
// helm/bulwark/templates/NOTES.txt (rendered for the kind walk-through's release) and the kind scripts'
// output (kind-up.sh and deploy.sh, with --dry-run) — goes, exactly as printed, through the tool's
// argument parser and then through the tool itself against a fake release (helpers/fake-kube.ts:
// recorded helm and kubectl, answering as a cluster would). Each must name a known command, run without
// a usage error, and send every helm and kubectl call to the walk-through's namespace `bulwark`.
// A `run` is started with its signal already raised: it rolls back at once, after taking the lock and
// reading the release, without waiting for Prometheus.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/rollout/main';
import { COMMANDS, parseCli } from '../../src/rollout/options';
import { FakeKube } from './helpers/fake-kube';
import { helm, ROOT, run } from '../helpers/deploy/tools';

const NAMESPACE = 'bulwark';
const RELEASE = 'bulwark';

interface Printed {
  source: string;
  line: string;
  /** Environment the source sets before it (an `export ROLLOUT_NAMESPACE=…` line of the same block). */
  env: Record<string, string>;
}

/** The tool's arguments of a printed line, or undefined when the line does not run the tool. */
function toolArgs(line: string): string[] | undefined {
  const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  const start = words[0] === '$' ? 1 : 0;
  const w = words.slice(start);
  if (w[0] === 'npm' && w[1] === 'run') {
    const at = w.indexOf('rollout');
    if (at < 0 || w[at + 1] !== '--') return undefined;
    return w.slice(at + 2);
  }
  if (w[0] === 'bulwark-rollout') return w.slice(1);
  if (w[0] === 'node' && w[1] === 'dist/rollout/cli.js') return w.slice(2);
  return undefined;
}

/** Command lines of the fenced blocks of a Markdown file (continuations joined, comments dropped). */
function fromMarkdown(file: string): Printed[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const out: Printed[] = [];
  for (const block of text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
    const env: Record<string, string> = {};
    const joined = block[1].replace(/\\\n\s*/g, ' ');
    for (const raw of joined.split('\n')) {
      const line = raw.replace(/\s+#\s.*$/, '').trim();
      const exported = /^export (ROLLOUT_[A-Z_]+)=(\S+)$/.exec(line);
      if (exported) env[exported[1]] = exported[2];
      if (toolArgs(line)) out.push({ source: file, line, env: { ...env } });
    }
  }
  return out;
}

/** Lines of a command's output that run the tool (a dry run's `+ ` prefix removed). */
function fromOutput(source: string, stdout: string): Printed[] {
  return stdout
    .split('\n')
    .map((l) => l.replace(/^\+ /, '').trim())
    .filter((l) => toolArgs(l) !== undefined)
    .map((line) => ({ source, line, env: {} }));
}

/** NOTES.txt of the walk-through's release: `install --dry-run=client` renders it offline (Helm 4). */
function notes(): Printed[] {
  const r = helm([
    'install',
    RELEASE,
    path.join(ROOT, 'helm', 'bulwark'),
    '--namespace',
    NAMESPACE,
    '--dry-run=client',
    '-f',
    path.join(ROOT, 'k8s', 'values-kind.yaml'),
  ]);
  if (r.status !== 0) throw new Error(`rendering NOTES.txt failed: ${r.stderr}`);
  return fromOutput('NOTES.txt', r.stdout.slice(r.stdout.indexOf('NOTES:')));
}

function fromScript(script: string, args: string[]): Printed[] {
  const res = run('bash', [script, ...args]);
  if (res.status !== 0) throw new Error(`${script} ${args.join(' ')} failed: ${res.stderr}`);
  return fromOutput(script, res.stdout);
}

const markdown = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter(
  (f) => f.endsWith('.md'),
);
/**
 * `--platform argo` lines drive an Argo Rollout, not this fake release: the "docs/engines.md: every
 * promotion-tool command it prints runs as printed" cases of src/rollout/platforms/argo.spec.ts run them
 * against a recorded Argo cluster.
 */
const isArgo = (p: Printed): boolean => /--platform[ =]argo\b/.test(p.line);
const printed: Printed[] = [
  ...markdown.flatMap(fromMarkdown),
  ...notes(),
  ...fromScript('scripts/kind-up.sh', ['--dry-run', '--tag', '1.2.3']),
  ...fromScript('scripts/deploy.sh', ['--dry-run', '--tag', '1.2.3']),
].filter((p) => !isArgo(p));

/** Walk-through sources: each command there must say --namespace bulwark itself. */
const WALK_THROUGH = ['docs/kubernetes.md', 'NOTES.txt', 'scripts/kind-up.sh', 'scripts/deploy.sh'];

describe('promotion-tool commands as printed', () => {
  it('finds them in the walk-through (kubernetes.md, NOTES.txt, kind-up.sh, deploy.sh) and in rollout.md', () => {
    const sources = new Set(printed.map((p) => p.source));
    for (const s of [...WALK_THROUGH, 'docs/rollout.md'])
      expect({ s, found: sources.has(s) }).toEqual({ s, found: true });
    const commands = new Set(printed.map((p) => toolArgs(p.line)![0]));
    for (const c of ['status', 'start', 'run', 'promote', 'abort']) expect(commands).toContain(c);
  });

  it.each(printed.map((p) => [p.source, p.line, p] as const))('%s: %s', async (source, line, p) => {
    const argv = toolArgs(line)!;
    const options = parseCli(argv, p.env);
    expect(options).not.toBe('help');
    if (options === 'help') return;
    expect(COMMANDS).toContain(options.command);
    if (options.platform === 'nginx') return; // the nginx platform's commands: parsed, run by the rehearsal
    if (WALK_THROUGH.includes(source)) {
      expect(argv).toEqual(expect.arrayContaining(['--namespace', NAMESPACE]));
      expect(argv).toEqual(expect.arrayContaining(['--release', RELEASE]));
    }

    const kube = new FakeKube({
      activeColor: 'blue',
      canary: { weight: 0 },
      blue: { image: { tag: '1.0.0' }, replicas: 2 },
      green: { image: { tag: '1.1.0' }, replicas: 2 },
      trafficRouting: { type: 'gatewayApi' },
      rollout: { scaleDownDelaySeconds: 600, abortScaleDownDelaySeconds: 0 },
    });
    kube.release = { ...kube.release, name: RELEASE, namespace: NAMESPACE };
    kube.fullname = RELEASE;
    kube.diskChart = fs.readFileSync(path.join(ROOT, 'helm', 'bulwark', 'Chart.yaml'), 'utf8');
    kube.release.chart = `bulwark-${/^version:\s*(\S+)/m.exec(kube.diskChart)![1]}`;
    const signal = AbortSignal.abort(); // a `run` rolls back at once
    const out: string[] = [];
    const code = await main(argv, p.env, {
      runner: kube.runner,
      signal,
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    expect({ code, out: out.join('\n') }).toEqual({
      code: options.command === 'run' ? 2 : expect.any(Number),
      out: expect.not.stringMatching(/^\d\d:\d\d:\d\d error: |usage:/m),
    });
    expect([0, 2]).toContain(code);
    const calls = kube.calls.filter(
      (c) =>
        !(
          c.args[0] === 'version' ||
          (c.args[0] === 'show' && c.args[1] === 'chart') ||
          c.args[0] === 'config'
        ),
    );
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls)
      expect({
        call: `${c.command} ${c.args.join(' ')}`,
        namespace: c.args[c.args.indexOf('--namespace') + 1],
      }).toEqual({
        call: `${c.command} ${c.args.join(' ')}`,
        namespace: NAMESPACE,
      });
    expect(kube.calls.find((c) => c.args[0] === 'get' && c.args[1] === 'values')!.args[2]).toBe(RELEASE);
  });
});
