// docs/runbooks/: one page per alert of the chart (and no page for an alert that does not exist),
// the same parts on every page, and every shell line checked as far as a machine without a cluster
// can: valid shell; `kubectl` and `helm` lines use only subcommands and flags the real binaries know;
// `npm run` lines name a script of package.json; `npm run rollout --` lines parse with the promotion
// tool's own argument parser. (Their PromQL is evaluated in dashboard.system-spec.ts; every alert's
// runbook_url is checked in prometheus-rules.system-spec.ts.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCli } from '../../src/rollout/options';
import { FULLNAME, find, render } from '../helpers/deploy/render';
import { RUNBOOK_DIR, runbookBlocks, runbookFiles } from '../helpers/deploy/runbooks';
import { HELM4, ROOT, helm, run } from '../helpers/deploy/tools';

const KUBECTL = path.join(path.dirname(HELM4), 'kubectl');
const rules = find(render({ set: { 'prometheusRule.enabled': true } }), 'PrometheusRule', FULLNAME);
const alerts = (rules.spec.groups as { rules: { alert?: string }[] }[])
  .flatMap((g) => g.rules)
  .flatMap((r) => (r.alert ? [r.alert] : []));
const scripts = Object.keys(
  (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: object }).scripts,
);

// docs/operations.md prints the dashboard's install line: checked the same way.
const operations = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
const operationsBlocks = [...operations.matchAll(/^```bash\n([\s\S]*?)^```/gm)].map((m) => ({
  file: '../operations.md',
  text: m[1],
}));
const lines = [...runbookBlocks('bash'), ...operationsBlocks]
  .flatMap(({ file, text }) => text.split('\n').map((line) => ({ file, line: line.trim() })))
  .filter(({ line }) => line !== '' && !line.startsWith('#'));
const starting = (word: string) => lines.filter((l) => l.line.startsWith(`${word} `)).map((l) => l.line);

/** Shell words of a line: split on blanks outside quotes (enough for the runbooks' lines). */
const words = (line: string): string[] =>
  [...line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
/** The long flags of a line (`--name` of `--name=value` and `--name value`). */
const flags = (line: string) => [
  ...new Set(
    words(line)
      .filter((w) => w.startsWith('--'))
      .map((w) => w.split('=')[0]),
  ),
];
/** Subcommand words: the words before the first flag or argument that are known subcommands. */
const KUBECTL_SUBCOMMANDS: Record<string, number> = {
  get: 1,
  logs: 1,
  describe: 1,
  top: 2,
  scale: 1,
  rollout: 2,
  delete: 1,
  patch: 1,
};

describe('runbooks (docs/runbooks)', () => {
  it('has a page for every alert of the chart, and none for an alert that does not exist', () => {
    const pages = runbookFiles()
      .filter((f) => f.startsWith('Bulwark'))
      .map((f) => f.replace(/\.md$/, ''));
    expect(pages.sort()).toEqual([...alerts].sort());
  });

  it('every page has its parts: meaning, how to confirm, what to do, rolling back, escalating', () => {
    for (const file of runbookFiles().filter((f) => f !== 'README.md')) {
      const md = fs.readFileSync(path.join(RUNBOOK_DIR, file), 'utf8');
      const headings = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
      const needed =
        file === 'roll-back-a-release.md'
          ? ['Confirm', 'Escalate']
          : file === 'rotate-secrets.md'
            ? ['Rotate `JWT_SECRET`', 'Rotate `WEBHOOK_SECRET_KEY`', 'Roll back a release', 'Escalate']
            : ['What it means', 'Confirm', 'What to do', 'Roll back a release', 'Escalate'];
      expect({ file, headings }).toEqual({ file, headings: expect.arrayContaining(needed) });
    }
  });

  it('prints commands: kubectl, helm, the promotion tool, the backup tools', () => {
    expect(starting('kubectl').length).toBeGreaterThanOrEqual(15);
    expect(starting('npm').length).toBeGreaterThanOrEqual(6);
    expect(lines.some((l) => l.line.includes('npm run db:restore -- --from '))).toBe(true);
  });

  it.each(lines.map((l) => [l.file, l.line]))('%s: is valid shell: %s', (_file, line) => {
    const res = run('bash', ['-n', '-c', line]);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it.each(starting('kubectl'))('uses a kubectl subcommand and flags kubectl knows: %s', (line) => {
    const w = words(line).slice(1);
    // Skip leading global flags (--namespace X) to find the subcommand.
    let i = 0;
    while (w[i]?.startsWith('--')) i += w[i].includes('=') ? 1 : 2;
    const size = KUBECTL_SUBCOMMANDS[w[i]];
    expect({ line, subcommand: w[i], known: size !== undefined }).toMatchObject({ known: true });
    const sub = w.slice(i, i + size);
    const help = run(KUBECTL, [...sub, '--help']).stdout + run(KUBECTL, ['options']).stdout;
    expect(help).toContain('Usage:');
    for (const flag of flags(line))
      expect({ sub, flag, known: help.includes(`${flag}=`) }).toMatchObject({ known: true });
  });

  it('the dashboard install line of operations.md turns the dashboard on and renders it', () => {
    const line = starting('helm').find((l) => l.includes('dashboard.enabled=true'));
    expect(line).toBe(
      'helm upgrade bulwark helm/bulwark --namespace bulwark --reset-then-reuse-values --no-hooks --set dashboard.enabled=true',
    );
    const objects = render({ set: { 'dashboard.enabled': true } });
    expect(find(objects, 'ConfigMap', `${FULLNAME}-dashboard`).metadata.labels).toMatchObject({
      grafana_dashboard: '1',
    });
  });

  it.each(starting('helm'))('uses a helm subcommand and flags helm knows: %s', (line) => {
    const sub = words(line)[1];
    const res = helm([sub, '--help']);
    expect(res.status).toBe(0);
    for (const flag of flags(line))
      expect({
        sub,
        flag,
        known: res.stdout.includes(`${flag} `) || res.stdout.includes(`${flag}=`),
      }).toMatchObject({
        known: true,
      });
  });

  it.each(lines.filter((l) => /(^|\s)npm run /.test(l.line)).map((l) => l.line))(
    'names a script of package.json: %s',
    (line) => {
      const script = words(line.slice(line.indexOf('npm run ')))[2];
      expect({ script, known: scripts.includes(script) }).toEqual({ script, known: true });
    },
  );

  it.each(starting('npm').filter((l) => l.startsWith('npm run rollout -- ')))(
    'parses with the promotion tool: %s',
    (line) => {
      const argv = words(line).slice(4);
      const options = parseCli(argv, {});
      expect(options).not.toBe('help');
      expect(options).toMatchObject({ release: 'bulwark', namespace: 'bulwark' });
    },
  );
});
