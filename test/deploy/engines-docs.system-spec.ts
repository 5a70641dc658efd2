// The commands docs/engines.md prints, checked as far as a machine without a cluster can: every line
// is valid shell; the script runs exactly as printed with --dry-run added; every `helm upgrade` uses
// flags Helm 4 and 3.18 know and renders what the page says; every kubectl line is a kubectl command
// of the walk-through's namespace naming objects the chart renders. The promotion-tool lines run
// through the tool in src/rollout/platforms/argo.spec.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HELM3, HELM4, ROOT, helm, run } from '../helpers/deploy/tools';
import { yaml } from '../helpers/deploy/yaml';
import { K8sObject, find } from '../helpers/deploy/render';

const KUBECTL = path.join(path.dirname(HELM4), 'kubectl');
const doc = fs.readFileSync(path.join(ROOT, 'docs', 'engines.md'), 'utf8');

const lines: string[] = [...doc.matchAll(/```bash\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1].split('\n'))
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const starting = (word: string) => lines.filter((l) => l.startsWith(word));

const words = (line: string): string[] => [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);

/** `helm template` of an upgrade line on the kind walk-through's release (blue active, both colours up). */
function rendered(line: string): K8sObject[] {
  const [, , release, chart, ...rest] = words(line);
  const args = rest.filter((w) => !['--reset-then-reuse-values', '--wait'].includes(w));
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
  return yaml.loadAll(res.stdout).filter(Boolean) as K8sObject[];
}

describe('docs/engines.md commands', () => {
  it('prints the kind path, the migration and the tool', () => {
    expect(starting('scripts/kind-up.sh --engine argo')).toHaveLength(1);
    expect(starting('helm upgrade')).toHaveLength(2);
    expect(starting('kubectl')).toHaveLength(3);
    expect(starting('npm run rollout --')).toHaveLength(5);
  });

  it.each(lines)('is valid shell: %s', (line) => {
    expect(run('bash', ['-n', '-c', line]).status).toBe(0);
  });

  it.each(starting('scripts/'))('runs as printed (with --dry-run): %s', (line) => {
    const res = run('bash', ['-c', `${line} --dry-run`]);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^\+ .*--set rollout\.engine=argo/m);
  });

  it.each(starting('helm upgrade'))('uses flags Helm 4 and 3.18 know: %s', (line) => {
    for (const bin of [HELM4, HELM3]) {
      const help = helm(['upgrade', '--help'], bin).stdout;
      for (const flag of new Set(words(line).filter((w) => w.startsWith('--'))))
        expect({ flag, known: help.includes(`${flag} `) || help.includes(`${flag}=`) }).toEqual({
          flag,
          known: true,
        });
    }
  });

  it('migration step 1 parks the preview colour and touches no hook', () => {
    const objects = rendered(starting('helm upgrade')[0]);
    expect(find(objects, 'Deployment', 'bulwark-green').spec.replicas).toBe(0);
    expect(find(objects, 'Deployment', 'bulwark-blue').spec.replicas).toBe(2);
    expect(objects.some((o) => o.metadata.annotations?.['helm.sh/hook'])).toBe(false);
  });

  it('migration step 3 renders the Rollout on the active version, routed to the stable Service', () => {
    const objects = rendered(starting('helm upgrade')[1]);
    const rollout = find(objects, 'Rollout', 'bulwark');
    expect(rollout.spec.replicas).toBe(2);
    expect(rollout.spec.template.spec.containers[0].image).toBe('bulwark:1.4.0');
    expect(objects.filter((o) => o.kind === 'Deployment')).toEqual([]);
    const route = find(objects, 'HTTPRoute', 'bulwark');
    expect(route.spec.rules[0].backendRefs.map((b: K8sObject) => [b.name, b.weight])).toEqual([
      ['bulwark', 100],
      ['bulwark-canary', 0],
    ]);
  });

  it.each(starting('kubectl'))('is a kubectl command on objects of the release: %s', (line) => {
    const w = words(line);
    expect(w.slice(1, 3)).toEqual(['-n', 'bulwark']);
    expect(run(KUBECTL, [w[3], '--help']).status).toBe(0);
    const bulwark = yaml
      .loadAll(
        helm([
          'template',
          'bulwark',
          'helm/bulwark',
          '-f',
          'k8s/values-kind.yaml',
          '--kube-version',
          '1.31.0',
        ]).stdout,
      )
      .filter(Boolean) as K8sObject[];
    if (w[3] === 'annotate' || w[3] === 'delete') {
      // `TYPE1,TYPE2 NAME…`: each name is an object of each type in the bulwark release.
      const kinds = w[4].split(',').map((t) => ({ deployment: 'Deployment', service: 'Service' })[t]);
      for (const kind of kinds)
        for (const name of w.slice(5).filter((x) => !x.includes('='))) find(bulwark, kind!, name);
    }
  });
});
