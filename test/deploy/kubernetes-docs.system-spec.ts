// The commands docs/kubernetes.md prints, checked as far as a machine without a cluster can: every
// line is valid shell; every script line runs exactly as printed with --dry-run added; every `helm`
// and `kubectl` flag exists in Helm 4, Helm 3.18 and kubectl; every `helm upgrade` renders with
// `helm template` and carries --no-hooks; every rollout command names the walk-through's release and
// namespace (the promotion tool's own spec runs them through its argument parser).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HELM3, HELM4, ROOT, helm, run } from '../helpers/deploy/tools';
import { yaml } from '../helpers/deploy/yaml';
import { K8sObject, find } from '../helpers/deploy/render';

const KUBECTL = path.join(path.dirname(HELM4), 'kubectl');
const doc = fs.readFileSync(path.join(ROOT, 'docs', 'kubernetes.md'), 'utf8');

/** Command lines of the ```bash blocks, without their trailing comments. */
const lines: string[] = [...doc.matchAll(/```bash\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1].split('\n'))
  .map((l) => l.replace(/\s+#\s.*$/, '').trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const starting = (word: string) => lines.filter((l) => l.startsWith(word));

/** Shell words of a line: split on blanks outside double quotes (the docs' lines quote with "…" only). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

/** The long flags of a command line (`--name` of `--name=value` and `--name value`). */
const flags = (line: string) => [
  ...new Set(
    words(line)
      .filter((w) => w.startsWith('--'))
      .map((w) => w.split('=')[0]),
  ),
];

describe('docs/kubernetes.md commands', () => {
  it('prints the walk-through: scripts, port-forwards, rollout, helm by hand', () => {
    expect(starting('scripts/').length).toBeGreaterThanOrEqual(4);
    expect(starting('kubectl').length).toBeGreaterThanOrEqual(2);
    expect(starting('npm run rollout --').length).toBeGreaterThanOrEqual(2);
    expect(starting('helm upgrade').length).toBeGreaterThanOrEqual(2);
  });

  it.each(lines)('is valid shell: %s', (line) => {
    expect(run('bash', ['-n', '-c', line]).status).toBe(0);
  });

  it.each(starting('scripts/').filter((l) => !l.startsWith('scripts/kind-down.sh')))(
    'runs as printed (with --dry-run): %s',
    (line) => {
      const dry = line.includes('--dry-run') ? line : `${line} --dry-run`;
      const res = run('bash', ['-c', dry]);
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/^\+ /m);
    },
  );

  it('kind-down.sh is the script that deletes the cluster', () => {
    expect(starting('scripts/kind-down.sh')).toEqual(['scripts/kind-down.sh']);
    expect(fs.readFileSync(path.join(ROOT, 'scripts', 'kind-down.sh'), 'utf8')).toContain(
      'kind delete cluster',
    );
  });

  it.each(starting('helm upgrade'))(
    'uses flags both Helm 4 and Helm 3.18 know, --no-hooks, and renders: %s',
    (line) => {
      for (const bin of [HELM4, HELM3]) {
        const help = helm(['upgrade', '--help'], bin).stdout;
        for (const flag of flags(line))
          expect({
            bin: path.basename(path.dirname(bin)),
            flag,
            known: help.includes(`${flag} `) || help.includes(`${flag}=`),
          }).toMatchObject({ known: true });
      }
      expect(line).toContain('--no-hooks');
      expect(line).toContain('--reset-then-reuse-values');
      // The same values on the walk-through's release: `helm template` renders what the upgrade would.
      const [, , release, chart, ...rest] = words(line);
      const args = rest.filter((w) => w !== '--reset-then-reuse-values');
      const res = helm([
        'template',
        release,
        chart,
        '-f',
        'k8s/values-kind.yaml',
        '--kube-version',
        '1.31.0',
        ...args,
      ]);
      expect(res.stderr).toBe('');
      const objects = yaml.loadAll(res.stdout).filter(Boolean) as K8sObject[];
      expect(objects.some((o) => o.metadata.annotations?.['helm.sh/hook'])).toBe(false); // --no-hooks
      const route = find(objects, 'HTTPRoute', 'bulwark');
      expect(route.spec.rules[0].backendRefs.map((r: K8sObject) => r.name)).toEqual([
        'bulwark-blue',
        'bulwark-green',
      ]);
    },
  );

  it.each(starting('kubectl'))("is a kubectl command of the walk-through's namespaces: %s", (line) => {
    const w = words(line);
    expect(w[1]).toBe('-n');
    expect(['bulwark', 'monitoring', 'envoy-gateway-system']).toContain(w[2]);
    const sub = w[3] === 'rollout' ? ['rollout', w[4]] : [w[3]];
    expect(run(KUBECTL, [...sub, '--help']).status).toBe(0);
    // port-forward takes TYPE/NAME; `get … -o name` already answers `service/<name>`.
    expect(line).not.toContain('service/service/');
    if (w[3] === 'port-forward') expect(w[4]).toMatch(/^service\/|-o name\)$/);
  });

  it.each(starting('npm run rollout --'))(
    'names the release and namespace of the walk-through: %s',
    (line) => {
      expect(line).toContain('--release bulwark');
      expect(line).toContain('--namespace bulwark');
    },
  );
});
