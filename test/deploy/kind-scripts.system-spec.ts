// The kind walk-through's scripts without Docker or a cluster: shellcheck and `bash -n` on every
// script; `kind-up.sh --dry-run` prints every command of a first run; a re-run against a cluster
// where the release exists (kind/helm/kubectl/docker/npm replaced by recording stubs) leaves the
// release alone; deploy.sh goes through the promotion tool; the bundled helm/kubectl fallback says
// so on other platforms.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HELM4, ROOT, helmEnv, run, scratchDir } from '../helpers/deploy/tools';
import { yaml } from '../helpers/deploy/yaml';

function scripts(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return scripts(rel);
    return e.name.endsWith('.sh') ? [rel] : [];
  });
}
const SCRIPTS = scripts('scripts').sort();

/** The `+ …` lines a --dry-run printed: each one command line, as it would run. */
function commands(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('+ '))
    .map((l) => l.slice(2));
}

describe('scripts', () => {
  it('covers the walk-through scripts', () => {
    expect(SCRIPTS).toEqual(
      expect.arrayContaining([
        'scripts/kind-up.sh',
        'scripts/kind-down.sh',
        'scripts/deploy.sh',
        'scripts/demo-load.sh',
        'scripts/tools/k8s-lib.sh',
        'scripts/tools/install-helm.sh',
      ]),
    );
  });

  it.each(SCRIPTS)('%s passes shellcheck and bash -n', (script) => {
    const check = run('shellcheck', ['-x', script]);
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(run('bash', ['-n', script]).status).toBe(0);
  });

  it('the entry points are executable', () => {
    for (const s of [
      'scripts/kind-up.sh',
      'scripts/kind-down.sh',
      'scripts/deploy.sh',
      'scripts/demo-load.sh',
    ]) {
      expect(fs.statSync(path.join(ROOT, s)).mode & 0o111).not.toBe(0);
    }
  });
});

describe('kind-up.sh --dry-run', () => {
  let out: string;
  let lines: string[];
  beforeAll(() => {
    const res = run('bash', ['scripts/kind-up.sh', '--dry-run', '--tag', '1.2.3']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    out = res.stdout;
    lines = commands(out);
  });

  it('prints every command as one valid line of shell', () => {
    expect(lines.length).toBeGreaterThan(15);
    for (const line of lines)
      expect({ line, syntax: run('bash', ['-n', '-c', line]).status }).toEqual({ line, syntax: 0 });
  });

  it('prints the whole first run, in order: cluster, Gateway, Prometheus, PostgreSQL, image, install, test', () => {
    const order = [
      /^kind create cluster --name bulwark --config k8s\/kind-cluster\.yaml/,
      /kubectl config use-context kind-bulwark$/,
      /kubectl apply -f k8s\/namespaces\.yaml$/,
      /helm install eg oci:\/\/docker\.io\/envoyproxy\/gateway-helm /,
      /kubectl apply -f k8s\/gateway\.yaml$/,
      /helm template bulwark helm\/bulwark .*--show-only templates\/prometheusrule\.yaml .*\| node -e /,
      /kubectl -n monitoring create configmap prometheus-rules .*\| .*kubectl apply -f -$/,
      /kubectl apply -f k8s\/prometheus\.yaml$/,
      /kubectl -n bulwark create secret generic postgresql-auth /,
      /kubectl apply -f k8s\/postgres\.yaml$/,
      /^npm run --silent build$/,
      /^docker build -t bulwark:1\.2\.3 \.$/,
      /^docker save -o \S+\/bulwark-1\.2\.3\.tar bulwark:1\.2\.3$/,
      /^kind load image-archive \S+\/bulwark-1\.2\.3\.tar --name bulwark$/,
      /helm install bulwark helm\/bulwark --namespace bulwark -f k8s\/values-kind\.yaml --set-string blue\.image\.tag=1\.2\.3 --set-string green\.image\.tag=1\.2\.3 --wait/,
      /helm test bulwark --namespace bulwark --logs$/,
    ];
    let at = -1;
    for (const pattern of order) {
      const found = lines.findIndex((l, i) => i > at && pattern.test(l));
      expect({ pattern: String(pattern), found: found >= 0 }).toEqual({
        pattern: String(pattern),
        found: true,
      });
      at = found;
    }
    // The archive is the one `docker save` wrote.
    const saved = /-o (\S+)/.exec(lines.find((l) => l.startsWith('docker save'))!)![1];
    expect(lines.find((l) => l.startsWith('kind load'))).toContain(saved);
  });

  it('never loads with `kind load docker-image` and never upgrades the release itself', () => {
    expect(out).not.toContain('kind load docker-image');
    expect(lines.filter((l) => /helm upgrade/.test(l))).toEqual([]);
  });

  it('prints complete next steps: the Prometheus port-forward, the API port-forward, the rollout with its namespace', () => {
    const next = out.slice(out.indexOf('Next,'));
    expect(next).toMatch(/kubectl -n monitoring port-forward service\/prometheus 9090:9090/);
    // `get … -o name` answers `service/<name>`; port-forward takes that as it is (no second prefix).
    const forward = next
      .split('\n')
      .find((l) => l.includes('envoy-gateway-system port-forward'))!
      .trim();
    expect(forward).not.toContain('service/service/');
    expect(forward).toMatch(
      /port-forward "\$\(\S*kubectl -n envoy-gateway-system get service -l gateway\.envoyproxy\.io\/owning-gateway-name=bulwark-gateway,gateway\.envoyproxy\.io\/owning-gateway-namespace=bulwark -o name\)" 8080:80$/,
    );
    expect(run('bash', ['-n', '-c', forward]).status).toBe(0);
    const rollouts = next.split('\n').filter((l) => l.includes('npm run rollout --'));
    expect(rollouts.map((l) => l.trim().split(' ')[4]).sort()).toEqual(['abort', 'promote', 'run', 'status']);
    for (const l of rollouts) {
      expect(l).toContain('--namespace bulwark');
      expect(l).toContain('--release bulwark');
    }
    expect(next).toContain('scripts/demo-load.sh');
    expect(next).toContain('scripts/deploy.sh --tag <tag>');
  });

  it('follows NAMESPACE and RELEASE in every command it prints', () => {
    const res = run('bash', ['scripts/kind-up.sh', '--dry-run', '--tag', '1.2.3'], {
      env: { ...process.env, NAMESPACE: 'shop-staging', RELEASE: 'shop' },
    });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('helm install shop helm/bulwark --namespace shop-staging');
    for (const l of res.stdout.split('\n').filter((x) => x.includes('npm run rollout --')))
      expect(l).toContain('--release shop --namespace shop-staging');
  });
});

describe('kind-up.sh --engine argo --dry-run (docs/engines.md)', () => {
  let out: string;
  let lines: string[];
  beforeAll(() => {
    const res = run('bash', ['scripts/kind-up.sh', '--engine', 'argo', '--dry-run', '--tag', '1.2.3']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    out = res.stdout;
    lines = commands(out);
  });

  it('installs Argo Rollouts and its Gateway API plugin after the Gateway, then the release with engine argo', () => {
    for (const line of lines)
      expect({ line, syntax: run('bash', ['-n', '-c', line]).status }).toEqual({ line, syntax: 0 });
    const order = [
      /kubectl apply -f k8s\/gateway\.yaml$/,
      /kubectl create namespace argo-rollouts --dry-run=client -o yaml \| \S*kubectl apply -f -$/,
      /kubectl apply -n argo-rollouts -f https:\/\/github\.com\/argoproj\/argo-rollouts\/releases\/download\/v\d+\.\d+\.\d+\/install\.yaml$/,
      /kubectl apply -f k8s\/argo-rollouts\.yaml$/,
      /kubectl -n argo-rollouts rollout restart deployment\/argo-rollouts$/,
      /kubectl -n argo-rollouts rollout status deployment\/argo-rollouts --timeout 180s$/,
      /helm install bulwark helm\/bulwark --namespace bulwark -f k8s\/values-kind\.yaml --set rollout\.engine=argo --set-string rollout\.argo\.image\.tag=1\.2\.3 --wait/,
      /kubectl -n bulwark wait rollout\.argoproj\.io\/bulwark --for=condition=Healthy --timeout 180s$/,
      /helm test bulwark --namespace bulwark --logs$/,
    ];
    let at = -1;
    for (const pattern of order) {
      const found = lines.findIndex((l, i) => i > at && pattern.test(l));
      expect({ pattern: String(pattern), found: found >= 0 }).toEqual({
        pattern: String(pattern),
        found: true,
      });
      at = found;
    }
    expect(lines.filter((l) => /rollout status "?deployment\/bulwark-(blue|green)/.test(l))).toEqual([]);
  });

  it('the plugin manifest pins a plugin release and grants only HTTPRoutes and ConfigMaps', () => {
    const manifest = fs.readFileSync(path.join(ROOT, 'k8s', 'argo-rollouts.yaml'), 'utf8');
    expect(manifest).toMatch(
      /location: "https:\/\/github\.com\/argoproj-labs\/rollouts-plugin-trafficrouter-gatewayapi\/releases\/download\/v\d+\.\d+\.\d+\/gatewayapi-plugin-linux-amd64"/,
    );
    expect(manifest).toContain('- name: "argoproj-labs/gatewayAPI"');
    const role = yaml.loadAll(manifest).find((d) => (d as { kind?: string }).kind === 'ClusterRole') as {
      rules: unknown[];
    };
    expect(role.rules).toEqual([
      {
        apiGroups: ['gateway.networking.k8s.io'],
        resources: ['httproutes'],
        verbs: ['get', 'list', 'watch', 'update', 'patch'],
      },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'],
      },
    ]);
  });

  it('prints next steps that drive the Rollout through the tool', () => {
    const next = out.slice(out.indexOf('Next:'));
    const rollouts = next.split('\n').filter((l) => l.includes('npm run rollout --'));
    expect(rollouts.map((l) => l.trim().split(' ')[4]).sort()).toEqual([
      'abort',
      'promote',
      'run',
      'start',
      'status',
    ]);
    for (const l of rollouts) expect(l).toMatch(/--platform argo .*--release bulwark --namespace bulwark$/);
  });

  it('refuses an unknown engine', () => {
    const res = run('bash', ['scripts/kind-up.sh', '--engine', 'flagger', '--dry-run']);
    expect(res.status).toBe(64);
    expect(res.stderr).toContain('--engine must be bulwark or argo');
  });
});

/** A PATH of recording stubs for the cluster tools, plus what bash scripts need from the system. */
function stubbedPath(dir: string, log: string, behaviour: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const tool of ['kind', 'kubectl', 'helm', 'docker', 'npm']) {
    fs.writeFileSync(
      path.join(bin, tool),
      `#!/usr/bin/env bash\nprintf '%s\\n' "${tool} $*" >> ${JSON.stringify(log)}\n${behaviour}\nexit 0\n`,
      { mode: 0o755 },
    );
  }
  return `${bin}:${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;
}

describe('kind-up.sh against a cluster where the release exists (stubbed tools)', () => {
  it('re-running leaves the release alone: no image build, no install or upgrade, no test', () => {
    const dir = scratchDir('kind-rerun');
    try {
      const log = path.join(dir, 'calls.log');
      const PATH = stubbedPath(
        dir,
        log,
        // `kind get clusters` lists the cluster; every `helm status` / `kubectl get` finds its object;
        // `helm template` (rendering the SLO rules for Prometheus) is the real one.
        [
          `if [ "$(basename "$0") $1 $2" = "kind get clusters" ]; then echo bulwark; fi`,
          `if [ "$(basename "$0") $1" = "helm template" ]; then exec ${JSON.stringify(HELM4)} "$@"; fi`,
        ].join('\n'),
      );
      const res = run('bash', ['scripts/kind-up.sh', '--tag', '9.9.9'], { env: { ...helmEnv(), PATH } });
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
      const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
      expect(calls).toContain('helm status bulwark --namespace bulwark');
      expect(
        calls.filter((c) => /^helm (install|upgrade) bulwark|^helm test|^docker|^kind (create|load)/.test(c)),
      ).toEqual([]);
      expect(res.stdout).toContain('release bulwark exists: left as it is');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy.sh', () => {
  it('puts the tag on the idle colour through the promotion tool, never its own helm upgrade', () => {
    const res = run('bash', ['scripts/deploy.sh', '--dry-run', '--tag', '1.2.3']);
    expect(res.status).toBe(0);
    const lines = commands(res.stdout);
    expect(lines.filter((l) => l.includes('helm upgrade'))).toEqual([]);
    const start = lines.find((l) => l.includes('npm run --silent rollout -- start'))!;
    expect(start).toMatch(
      /^npm run --silent rollout -- start --tag 1\.2\.3 --release bulwark --namespace bulwark --helm \S+ --kubectl \S+$/,
    );
    expect(lines.indexOf(start)).toBeGreaterThan(
      lines.findIndex((l) => l.startsWith('kind load image-archive')),
    );
  });

  it('refuses when there is no release to deploy to (stubbed helm finds none)', () => {
    const dir = scratchDir('deploy-norelease');
    try {
      const log = path.join(dir, 'calls.log');
      const PATH = stubbedPath(dir, log, `if [ "$(basename "$0") $1" = "helm status" ]; then exit 1; fi`);
      const res = run('bash', ['scripts/deploy.sh', '--tag', '1.2.3'], { env: { ...process.env, PATH } });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/no release bulwark in namespace bulwark .*install it first/);
      expect(fs.readFileSync(log, 'utf8')).not.toMatch(/^(docker|npm|helm upgrade)/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the bundled helm/kubectl fallback', () => {
  it('on a platform other than linux/amd64, says so and how to install them, and installs nothing', () => {
    const dir = scratchDir('fallback-platform');
    try {
      // A PATH with the shell tools the scripts use, a uname that says macOS on arm64, no helm/kubectl.
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      for (const tool of ['bash', 'mktemp', 'rm', 'dirname', 'cat', 'grep', 'git', 'env', 'basename']) {
        const found = run('sh', ['-c', `command -v ${tool}`]).stdout.trim();
        fs.symlinkSync(found, path.join(bin, tool));
      }
      fs.symlinkSync(process.execPath, path.join(bin, 'node'));
      fs.writeFileSync(
        path.join(bin, 'uname'),
        `#!${path.join(bin, 'bash')}\nif [ "$1" = -s ]; then echo Darwin; else echo arm64; fi\n`,
        { mode: 0o755 },
      );
      const res = run(path.join(bin, 'bash'), ['scripts/deploy.sh', '--dry-run', '--tag', '1.2.3'], {
        env: { PATH: bin, HOME: dir },
      });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('linux/amd64 binaries only, and this is Darwin/arm64');
      expect(res.stderr).toContain('https://helm.sh/docs/intro/install/');
      expect(res.stderr).toContain('https://kubernetes.io/docs/tasks/tools/');
      expect(res.stdout).not.toContain('install-helm.sh');
      const direct = run(path.join(bin, 'bash'), ['scripts/tools/install-helm.sh'], {
        env: { PATH: bin, HOME: dir },
      });
      expect(direct.status).toBe(1);
      expect(direct.stderr).toContain('linux/amd64 binaries; this is Darwin/arm64');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
