// helm lint --strict on every scenario with Helm 4 and Helm 3.18, the same objects from both, and
// values.schema.json refusing invalid values.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { yaml } from '../helpers/deploy/yaml';
import { CHART, HELM3, HELM4, helm } from '../helpers/deploy/tools';
import { renderRaw, scenarioFiles, templateArgs } from '../helpers/deploy/render';

const HELMS = [
  ['Helm 4', HELM4, /^v4\./],
  ['Helm 3', HELM3, /^v3\.(1[89]|[2-9]\d)\./],
] as const;

/** Parsed objects with the randomly generated Secret values blanked. */
function normalised(raw: string): unknown[] {
  return yaml
    .loadAll(raw)
    .filter(Boolean)
    .map((o) => {
      const obj = o as { kind: string; data?: Record<string, string> };
      if (obj.kind === 'Secret' && obj.data) {
        for (const k of ['JWT_SECRET', 'WEBHOOK_SECRET_KEY', 'ADMIN_PASSWORD'])
          if (obj.data[k]) obj.data[k] = '<random>';
      }
      return obj;
    });
}

describe.each(HELMS)('%s', (_name, bin, version) => {
  it('is the expected version', () => {
    const res = helm(['version', '--short'], bin);
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toMatch(version);
  });

  it.each([['defaults', ''], ...scenarioFiles().map((f) => [path.basename(f), f])])(
    'lint --strict passes: %s',
    (_n, file) => {
      const res = helm(['lint', '--strict', CHART, ...(file ? ['--values', file] : [])], bin);
      expect(`${res.stdout}${res.stderr}`).toContain('0 chart(s) failed');
      expect(res.status).toBe(0);
    },
  );

  const invalid: [string, string[], RegExp][] = [
    ['canary.weight 120', ['--set', 'canary.weight=120'], /weight/],
    ['canary.weight -1', ['--set', 'canary.weight=-1'], /weight/],
    ['activeColor red', ['--set', 'activeColor=red'], /activeColor/],
    ['a string replica count', ['--set-string', 'blue.replicas=3'], /replicas/],
    ['image tag latest', ['--set', 'green.image.tag=latest'], /tag/],
    ['an unknown router', ['--set', 'trafficRouting.type=istio'], /type/],
    ['faults for colour red', ['--set', 'faults.color=red'], /color/],
    ['an unknown top-level value', ['--set', 'colour=blue'], /colour/],
    ['a misspelt nested value', ['--set', 'canary.wieght=10'], /wieght/],
    ['a negative scale-down delay', ['--set', 'rollout.scaleDownDelaySeconds=-1'], /scaleDownDelaySeconds/],
    [
      'an unknown PDB eviction policy',
      ['--set', 'pdb.unhealthyPodEvictionPolicy=Never'],
      /unhealthyPodEvictionPolicy/,
    ],
    ['no DNS peer at all', ['--set-json', 'networkPolicy.dnsPeers=[]'], /dnsPeers/],
    ['a migration lock timeout of 0', ['--set', 'migrations.lockTimeoutMs=0'], /lockTimeoutMs/],
  ];
  it.each(invalid)('the schema refuses %s', (_what, args, field) => {
    const res = helm([...templateArgs({}), ...args], bin);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/schema|values don't meet/i);
    expect(res.stderr).toMatch(field);
  });
});

describe('Helm 3 and Helm 4 agree', () => {
  it.each(scenarioFiles().map((f) => [path.basename(f), f]))('renders the same objects: %s', (_n, file) => {
    expect(normalised(renderRaw({ valuesFiles: [file], bin: HELM3 }))).toEqual(
      normalised(renderRaw({ valuesFiles: [file], bin: HELM4 })),
    );
  });

  it('packages the chart (helm package)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-pkg-'));
    try {
      const res = helm(['package', CHART, '--destination', out]);
      expect(res.status).toBe(0);
      expect(fs.readdirSync(out)).toEqual([expect.stringMatching(/^bulwark-\d+\.\d+\.\d+\.tgz$/)]);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('NOTES.txt', () => {
  // `install --dry-run=client` renders NOTES offline with Helm 4 (Helm 3.18 wants a cluster for it).
  const notes = (file: string) => {
    const res = helm([
      'install',
      'shop',
      CHART,
      '--namespace',
      'bulwark',
      '--dry-run=client',
      '--values',
      file,
    ]);
    expect(res.status).toBe(0);
    return res.stdout.slice(res.stdout.indexOf('NOTES:'));
  };

  it.each(scenarioFiles().map((f) => [path.basename(f), f]))('renders for %s', (_n, file) => {
    const text = notes(file);
    expect(text).toMatch(/active colour +(blue|green)/);
    expect(text).toContain('helm test shop');
  });

  it('prints complete traffic commands: --no-hooks, the release chart version, the namespace', () => {
    const text = notes(scenarioFiles().find((f) => f.endsWith('canary-gateway-api-values.yaml'))!);
    const upgrades = text.split('\n').filter((l) => l.trim().startsWith('helm upgrade'));
    expect(upgrades).toHaveLength(2);
    for (const line of upgrades) {
      expect(line).toContain('--no-hooks');
      expect(line).toContain('--reset-then-reuse-values');
      expect(line).toContain('-n bulwark');
    }
    expect(text).toMatch(/version \d+\.\d+\.\d+/);
    expect(text).toContain('npm run rollout -- run --release shop --namespace bulwark');
    expect(text).toContain('helm test shop -n bulwark --logs');
    expect(text).not.toMatch(/weight change[^\n]*migration Job runs|migration Job runs[^\n]*weight/i);
  });

  it('explains the replica-count share of the service router and warns about faults', () => {
    const file = scenarioFiles().find((f) => f.endsWith('canary-service-values.yaml'))!;
    expect(notes(file)).toContain('1 of 4 replicas ≈ 25 %');
    expect(notes(scenarioFiles().find((f) => f.endsWith('faults-values.yaml'))!)).toMatch(
      /FAULTS +on for green/,
    );
  });
});
