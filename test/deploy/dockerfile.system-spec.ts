// The Dockerfile, checked without a container engine: dockerlinter (with shellcheck) and a reading of
// its stages: multi-stage, Node LTS, production dependencies only, non-root, tini as PID 1; and the
// build stage replayed on the files the build context lets through, to list what the image carries.
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import dockerignore from '@balena/dockerignore';
import { DOCKERLINTER, ROOT, run, scratchDir } from '../helpers/deploy/tools';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  steps: Instruction[];
}

/** Joins continuation lines, drops comments, splits into stages. */
function parse(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1].toUpperCase();
    const rest = m[2].trim();
    if (op === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args[k] = v ?? '';
    } else if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest.replace(/--platform=\S+\s+/, ''));
      stages.push({
        from: f![1].replace(/\$\{(\w+)\}/g, (_s, k: string) => args[k]),
        name: f![2],
        steps: [],
      });
    } else {
      stages[stages.length - 1]?.steps.push({ op, args: rest });
    }
  }
  return { args, stages };
}

const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const { stages } = parse(dockerfile);
const final = stages[stages.length - 1];
const last = (op: string) => [...final.steps].reverse().find((s) => s.op === op);

describe('Dockerfile', () => {
  it('passes dockerlinter at every level (info and up), shellcheck included', () => {
    const res = run(DOCKERLINTER, ['-f', 'Dockerfile', '-e', 'info']);
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it('dockerlinter does fail a bad Dockerfile (self-test)', () => {
    const dir = scratchDir('deploy-dockerlint');
    try {
      fs.writeFileSync(
        path.join(dir, 'Dockerfile'),
        'FROM node:latest\nRUN apt-get install curl\nCMD node main.js\n',
      );
      const res = run(DOCKERLINTER, ['-f', path.join(dir, 'Dockerfile'), '-e', 'info']);
      expect(res.status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is multi-stage on a current Node LTS image, never latest', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) {
      const m = /^node:(\d+)[-.\w]*$/.exec(s.from);
      expect(m).not.toBeNull();
      // Even majors from 22 on are LTS lines.
      expect(Number(m![1]) % 2).toBe(0);
      expect(Number(m![1])).toBeGreaterThanOrEqual(22);
      expect(s.from).not.toMatch(/:latest$/);
    }
  });

  it('builds the service alone in an earlier stage and carries only dist/ over', () => {
    const build = stages.find((s) => s.name === 'build');
    const builds = build?.steps.filter((s) => s.op === 'RUN' && /npm run build/.test(s.args));
    expect(builds?.map((s) => s.args)).toEqual(['npm run build:service']);
    // The service's build: nest build on the service's tsconfig, which leaves the promotion tool out,
    // then the entry point bundled into one file.
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['build:service']).toBe('nest build && node scripts/bundle-service.mjs');
    const nest = JSON.parse(fs.readFileSync(path.join(ROOT, 'nest-cli.json'), 'utf8')) as {
      compilerOptions: { tsConfigPath: string };
    };
    expect(nest.compilerOptions.tsConfigPath).toBe('tsconfig.json');
    const copies = final.steps.filter((s) => s.op === 'COPY' && s.args.startsWith('--from='));
    expect(copies.map((c) => c.args)).toEqual(['--from=build /app/dist ./dist']);
  });

  it('installs production dependencies only in the final stage (npm ci --omit=dev)', () => {
    const installs = final.steps.filter((s) => s.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(s.args));
    expect(installs).toHaveLength(1);
    expect(installs[0].args).toMatch(/\bnpm ci\b/);
    expect(installs[0].args).toMatch(/--omit=dev/);
    expect(final.steps.some((s) => s.op === 'RUN' && /npm run build|tsc|nest build/.test(s.args))).toBe(
      false,
    );
  });

  it('runs as a numeric non-root user, under tini, with node dist/main.js', () => {
    const user = last('USER');
    expect(user?.args).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user!.args.split(':')[0])).toBeGreaterThan(0);
    // USER comes after every RUN, so nothing later runs as root.
    const lastRun = final.steps.map((s) => s.op).lastIndexOf('RUN');
    expect(final.steps.indexOf(user!)).toBeGreaterThan(lastRun);
    expect(JSON.parse(last('ENTRYPOINT')!.args)).toEqual(['/usr/bin/tini', '--']);
    expect(JSON.parse(last('CMD')!.args)).toEqual(['node', 'dist/main.js']);
    expect(final.steps.some((s) => s.op === 'RUN' && /apt-get install[^&]*\btini=/.test(s.args))).toBe(true);
  });

  it('matches the chart: the user id the pods run as, MIGRATE_ON_BOOT=false, port 3000', () => {
    expect(last('USER')!.args.split(':')[0]).toBe('1000');
    const env = final.steps
      .filter((s) => s.op === 'ENV')
      .map((s) => s.args)
      .join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/MIGRATE_ON_BOOT=false/);
    expect(last('EXPOSE')?.args).toBe('3000');
  });

  it('has the entry points the chart runs: dist/main.js and the migration runner', () => {
    // The image builds src/ into dist/; the hook Job runs dist/database/migrate.js, helm test runs
    // dist/users/admin-create.js (both named in the Dockerfile for operators).
    expect(fs.existsSync(path.join(ROOT, 'src', 'main.ts'))).toBe(true);
    expect(dockerfile).toContain('node dist/database/migrate.js');
    expect(dockerfile).toContain('node dist/users/admin-create.js');
  });
});

describe('.dockerignore', () => {
  const lines = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('starts from "ignore everything" and lets in only what the build needs', () => {
    expect(lines[0]).toBe('**');
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    expect(allowed.sort()).toEqual([
      '.swcrc',
      'nest-cli.json',
      'package-lock.json',
      'package.json',
      'scripts/bundle-service.mjs',
      'src/**',
      'tsconfig.json',
    ]);
    // Nothing the Dockerfile COPYs from the context is ignored.
    const fromContext = stages
      .flatMap((s) => s.steps)
      .filter((s) => s.op === 'COPY' && !s.args.startsWith('--from='))
      .flatMap((s) => s.args.split(/\s+/).slice(0, -1));
    for (const f of fromContext) expect(allowed.some((a) => a === f || a === `${f}/**`)).toBe(true);
  });
});

/** The repository's files as `docker build .` would see them: checked-out files minus .dockerignore. */
function buildContext(): string[] {
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  const ignore = dockerignore().add(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n'));
  return listed.stdout
    .split('\0')
    .filter((f) => f !== '' && fs.existsSync(path.join(ROOT, f)))
    .filter(ignore.createFilter());
}

/** Every file under `dir`, relative to it. */
const filesUnder = (dir: string): string[] =>
  (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) =>
    fs.statSync(path.join(dir, f)).isFile(),
  );

describe('what the image carries: the service, not the promotion tool', () => {
  const build = stages.find((s) => s.name === 'build')!;
  const context = buildContext();
  let app: string;
  let dist: string[];

  // The build stage replayed in a scratch /app: its COPYs from the context, node_modules in place of
  // `npm ci` (the same lock file), then its build RUN as written. The runtime stage takes /app/dist
  // of it and nothing else (see "carries only dist/ over"), so dist/ is the image's code.
  beforeAll(() => {
    app = scratchDir('deploy-image-app');
    for (const copy of build.steps.filter((s) => s.op === 'COPY')) {
      const parts = copy.args.split(/\s+/);
      const dest = path.join(app, parts[parts.length - 1]);
      for (const source of parts.slice(0, -1)) {
        for (const f of context.filter((c) => c === source || c.startsWith(`${source}/`))) {
          const to =
            f === source ? path.join(dest, path.basename(f)) : path.join(dest, path.relative(source, f));
          fs.mkdirSync(path.dirname(to), { recursive: true });
          fs.copyFileSync(path.join(ROOT, f), to);
        }
      }
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
    const command = build.steps.find((s) => s.op === 'RUN' && /npm run build/.test(s.args))!.args;
    const res = spawnSync('bash', ['-c', command], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` },
    });
    if (res.status !== 0)
      throw new Error(`${command} failed on the build context:\n${res.stdout}${res.stderr}`);
    dist = filesUnder(path.join(app, 'dist'));
  }, 300_000);

  afterAll(() => fs.rmSync(app, { recursive: true, force: true }));

  it('sends the service’s sources into the build, and no file of the tool, its rehearsal or the tests', () => {
    expect(context).toContain('src/main.ts');
    expect(context).toContain('src/metrics/metric-names.ts');
    expect(context.filter((f) => f.startsWith('src/rollout/') || f.startsWith('test/'))).toEqual([]);
  });

  it('builds the service from that context: the entry points the image and the chart run are there', () => {
    for (const entry of ['main.js', 'database/migrate.js', 'users/admin-create.js', 'demo/load-generator.js'])
      expect(dist).toContain(entry);
  });

  // The bundle (scripts/bundle-service.mjs) must not load a second copy of anything it carries: a
  // package required from node_modules beside it is one the bundler leaves out on purpose, or one that
  // is not installed at all (an optional peer, required inside a try/catch as without a bundle).
  // Nest 12's `createRequire(import.meta.url)`, left alone, would show here as require("typeorm").
  it('bundles main.js: it requires from node_modules only the declared externals and absent packages', async () => {
    const { EXTERNAL_PACKAGES, packageOf } = (await import(
      path.join(ROOT, 'scripts', 'bundle-service.mjs')
    )) as {
      EXTERNAL_PACKAGES: string[];
      packageOf: (specifier: string) => string;
    };
    const main = fs.readFileSync(path.join(app, 'dist', 'main.js'), 'utf8');
    // Calls, not code held in strings (ajv keeps its runtime's `require("…")` as source text).
    const required = [...main.matchAll(/(?<!['"`\w$.])require\("([^"]+)"\)/g)].map((m) => m[1]);
    const fromNodeModules = required.filter(
      (r) => !r.startsWith('.') && !r.startsWith('node:') && !builtinModules.includes(r),
    );
    const resolves = (r: string) => {
      try {
        require.resolve(r, { paths: [ROOT] });
        return true;
      } catch {
        return false;
      }
    };
    const packages = new Set(fromNodeModules.map(packageOf));
    const unexpected = fromNodeModules.filter(
      (r) => !EXTERNAL_PACKAGES.includes(packageOf(r)) && resolves(r),
    );
    expect(unexpected).toEqual([]);
    expect([...packages]).toEqual(expect.arrayContaining(['argon2', 'pg']));
    expect(main.length).toBeGreaterThan(1_000_000);
  });

  // Stack traces read dist/main.js:<line>; the map beside it (in the image's dist/) leads back to src/.
  it('ships the bundle’s source map, which maps it back to the TypeScript sources', () => {
    expect(dist).toContain('main.js.map');
    expect(fs.readFileSync(path.join(app, 'dist', 'main.js'), 'utf8').trimEnd()).toMatch(
      /\/\/# sourceMappingURL=main\.js\.map$/,
    );
    const map = JSON.parse(fs.readFileSync(path.join(app, 'dist', 'main.js.map'), 'utf8')) as {
      sources: string[];
    };
    expect(map.sources).toEqual(expect.arrayContaining(['../src/main.ts', '../src/config/config.ts']));
  });

  // An incremental compile that skipped main.js would leave the last bundle as the bundler's input,
  // with a stale copy of every module in it: the bundler refuses, and the build is never incremental.
  it('refuses to bundle a bundle, and the service build always recompiles main.js', () => {
    const main = path.join(app, 'dist', 'main.js');
    const before = fs.readFileSync(main);
    const again = spawnSync(
      process.execPath,
      [path.join(app, 'scripts', 'bundle-service.mjs'), path.join(app, 'dist')],
      {
        encoding: 'utf8',
      },
    );
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('is already a bundle: run nest build first');
    expect(fs.readFileSync(main).equals(before)).toBe(true);
    const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { incremental?: boolean };
    };
    expect(tsconfig.compilerOptions.incremental).toBe(false);
  });

  it('leaves the promotion tool, its rehearsal and its test double out of the image', () => {
    expect(dist.filter((f) => /(^|\/)rollout\/|rehearsal|recording-runner|\.spec\./.test(f))).toEqual([]);
  });
});
