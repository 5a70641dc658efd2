// The nginx platform with a real nginx (no Bulwark needed: the upstreams are small stand-ins):
// reloads that take effect, the lock, refusals of an inconsistent state, and `abort` as the way out.
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/rollout/main';
import { NginxPlatform } from '../../src/rollout/platforms/nginx';
import { initNginxDir } from '../../src/rollout/platforms/nginx-dir';
import { defaultNginxBin, nginxArgs } from '../../src/rollout/platforms/nginx-reload';
import { AbortedByHandError, CommandRunner, ProcessRunner } from '../../src/rollout/platforms';
import { freePort, pollUntil } from '../../src/rollout/rehearsal/processes';

const ROOT = resolve(__dirname, '..', '..');
let dir: string;
let nginx: ChildProcess;
let listen: string;
const upstreams: Server[] = [];

/** A stand-in colour: answers /health/* with its version, everything else with its name. */
async function colour(name: string, version: string): Promise<string> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify(
        req.url?.startsWith('/health') ? { status: 'ok', info: { app: { version } } } : { colour: name },
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  upstreams.push(server);
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(
    [...argv, '--platform', 'nginx', '--nginx-dir', dir],
    {},
    { out: (l) => lines.push(l), err: (l) => lines.push(l) },
  );
  return { code, out: lines.join('\n') };
}

async function through(n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await fetch(`http://${listen}/v1/x`, { headers: { connection: 'close' } });
    const { colour: c } = (await r.json()) as { colour: string };
    seen[c] = (seen[c] ?? 0) + 1;
  }
  return seen;
}

beforeAll(async () => {
  if (
    !existsSync(defaultNginxBin()) &&
    spawnSync('bash', [join(ROOT, 'scripts', 'setup.d', '30-rehearsal-tools.sh')]).status !== 0
  ) {
    throw new Error('nginx is missing: run scripts/setup.d/30-rehearsal-tools.sh');
  }
  dir = mkdtempSync(join(tmpdir(), 'rollout-nginx-spec-'));
  chmodSync(dir, 0o755);
  listen = `127.0.0.1:${await freePort()}`;
  await initNginxDir(dir, {
    listen,
    blue: await colour('blue', '1.0.0'),
    green: await colour('green', '2.0.0'),
    versions: { blue: '1.0.0' },
  });
  nginx = spawn(defaultNginxBin(), [...nginxArgs(dir), '-g', 'daemon off;'], { stdio: 'ignore' });
  await pollUntil('nginx up', async () => (await fetch(`http://${listen}/v1/x`)).ok, 10_000);
});

afterAll(async () => {
  // nginx writes into its directory while it shuts down: remove the directory once it has exited,
  // or the removal races it and leaves the directory behind.
  if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
    const exited = new Promise((r) => nginx.once('exit', r));
    nginx.kill('SIGTERM');
    await exited;
  }
  upstreams.forEach((s) => s.close());
  rmSync(dir, { recursive: true, force: true });
});

describe('nginx platform with a real nginx', () => {
  it('refuses to send traffic to a colour nothing was started on', async () => {
    const { code, out } = await cli('run', '--interval', '100ms', '--prometheus-url', 'http://127.0.0.1:9');
    expect(code).toBe(1);
    expect(out).toMatch(/refused: the preview colour green has no version: run `start --tag T` first/);
  });

  it('start waits for the idle colour to report the tag, then records it', async () => {
    const wrong = await cli('start', '--tag', '9.9.9', '--ready-timeout', '1s');
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/idle colour green at 127\.0\.0\.1:\d+ runs version 2\.0\.0, not 9\.9\.9/);
    const { code, out } = await cli('start', '--tag', '2.0.0');
    expect(code).toBe(0);
    expect(out).toMatch(/started 2\.0\.0 on the idle colour green/);
  });

  it('a weight is in effect for new connections as soon as the platform returns', async () => {
    const platform = new NginxPlatform({ runner: new ProcessRunner(), nginxDir: dir });
    await platform.setWeight(50);
    expect(await through(20)).toEqual({ blue: 10, green: 10 });
    await platform.setWeight(100);
    expect(await through(10)).toEqual({ green: 10 });
    expect((await cli('abort')).code).toBe(2);
    expect(await through(10)).toEqual({ blue: 10 });
  });

  it.each([
    ['while its new nginx.conf is being tested', '-t'],
    ['after its new nginx.conf is swapped in', '-s'],
  ])('an abort (no lock) that lands during a run’s weight change %s stands', async (_n, at) => {
    const plain = new ProcessRunner();
    const byHand = new NginxPlatform({ runner: plain, nginxDir: dir });
    await byHand.setWeight(10); // the run's current step
    let aborted = false;
    // The run's nginx invocations: the abort from another terminal runs in full at the chosen point.
    const interleaved: CommandRunner = {
      run: async (command, args, options) => {
        if (!aborted && args[0] === at) {
          aborted = true;
          await byHand.abort();
        }
        return plain.run(command, args, options);
      },
    };
    const run = new NginxPlatform({ runner: interleaved, nginxDir: dir });
    await expect(run.setWeight(50)).rejects.toThrow(AbortedByHandError);
    expect(aborted).toBe(true);
    expect(await byHand.readState()).toMatchObject({ activeColor: 'blue', weight: 0 });
    expect(await through(10)).toEqual({ blue: 10 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.next'))).toEqual([]);
  });

  it('refuses a second rollout while the lock is held, and takes over a dead holder’s lock', async () => {
    const platform = new NginxPlatform({ runner: new ProcessRunner(), nginxDir: dir });
    const lock = await platform.acquireLock('run');
    const refused = await cli('promote');
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/refused: another rollout is running: run \(pid \d+ on .+, since .+\)/);
    await lock.release();

    // A holder whose process is gone on this host is stale.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(
      join(dir, 'rollout.lock'),
      JSON.stringify({ owner: 'run', pid: Number(dead.stdout), host: hostname(), since: 'earlier' }),
    );
    const stale = await platform.acquireLock('promote');
    await stale.release();
  });

  it('refuses a hand-edited nginx.conf until abort rewrites it from the state', async () => {
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('weight=100;', 'weight=70;'));
    const refused = await cli('status');
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(
      /refused: nginx\.conf routes blue=70 green=0 but rollout-state\.json says blue=100 green=0/,
    );
    expect((await cli('abort')).code).toBe(2);
    const { code, out } = await cli('status', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      event: 'status',
      activeColor: 'blue',
      weight: 0,
      versions: { blue: '1.0.0', green: '2.0.0' },
    });
  });

  it('promotes: the preview colour gets everything', async () => {
    expect((await cli('promote')).code).toBe(0);
    expect(await through(10)).toEqual({ green: 10 });
    expect(JSON.parse((await cli('status', '--json')).out)).toMatchObject({
      activeColor: 'green',
      previewColor: 'blue',
      weight: 0,
    });
  });
});

describe('nginx platform: active-colour file, scale-down record, instant undo', () => {
  const activeFile = () => readFileSync(join(dir, 'active-color'), 'utf8');
  const stateFile = () => JSON.parse(readFileSync(join(dir, 'rollout-state.json'), 'utf8'));

  it('writes the active colour for the instances (ACTIVE_COLOR_FILE) with every promotion', async () => {
    expect(activeFile()).toBe('green\n');
    // After the promotion above, blue is due to be scaled down in 10 minutes: `promote` is an instant undo.
    expect(stateFile().scaleDown).toMatchObject({ colour: 'blue' });
    const undo = await cli('promote', '--scale-down-delay', '45s');
    expect(undo.code).toBe(0);
    expect(undo.out).toMatch(/scale-down of green in 45s: green \(2\.0\.0\) gets no traffic/);
    expect(activeFile()).toBe('blue\n');
    expect(stateFile().scaleDown).toMatchObject({ colour: 'green' });
    expect(await through(10)).toEqual({ blue: 10 });
  });

  it('a colour past its scale-down time gets no traffic and cannot be promoted until `start` brings it back', async () => {
    const platform = new NginxPlatform({ runner: new ProcessRunner(), nginxDir: dir });
    await expect(platform.scheduleScaleDown('green', 0)).resolves.toMatch(/counts as scaled down from/);
    expect((await platform.readState()).replicas).toEqual({ blue: 1, green: 0 });
    await expect(platform.setWeight(10)).rejects.toThrow(/was scaled down at .*start --tag T/);
    const promote = await cli('promote');
    expect(promote.code).toBe(1);
    expect(promote.out).toMatch(/no longer an instant undo/);
    const run = await cli('run', '--interval', '100ms', '--prometheus-url', 'http://127.0.0.1:9');
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/refused: the preview colour green has 0 replicas/);
    expect(await through(10)).toEqual({ blue: 10 });

    expect((await cli('start', '--tag', '2.0.0')).code).toBe(0);
    expect(stateFile().scaleDown).toBeUndefined();
    expect((await platform.readState()).replicas).toEqual({ blue: 1, green: 1 });
  });

  it('refuses to schedule the active colour', async () => {
    const platform = new NginxPlatform({ runner: new ProcessRunner(), nginxDir: dir });
    await expect(platform.scheduleScaleDown('blue', 30)).rejects.toThrow(/blue is the active colour/);
  });
});

describe('nginx platform: preview health, sizing and the lock (no nginx needed)', () => {
  let other: string;
  const servers: Server[] = [];
  /** A stand-in whose /health/ready answers `status`. */
  async function instance(status: number): Promise<string> {
    const server = createServer((_req, res) => res.writeHead(status).end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  beforeEach(() => {
    other = mkdtempSync(join(tmpdir(), 'rollout-nginx-spec-'));
  });
  afterEach(() => rmSync(other, { recursive: true, force: true }));
  afterAll(() => servers.forEach((s) => s.close()));
  const platformFor = async (blue: string, green: string) => {
    await initNginxDir(other, { listen: '127.0.0.1:1', blue, green, versions: { blue: '1', green: '2' } });
    return new NginxPlatform({ runner: new ProcessRunner(), nginxDir: other, readyTimeoutMs: 600 });
  };

  it('a preview answering /health/ready is healthy', async () => {
    const p = await platformFor(await instance(200), `${await instance(200)},${await instance(200)}`);
    await expect(p.previewHealth()).resolves.toEqual({
      healthy: true,
      reason: '2 of 2 green instances ready',
    });
  });

  it('a preview instance that is gone or not ready makes the preview unhealthy, with the reason', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const p = await platformFor(
      await instance(200),
      `${await instance(503)},${closed},${await instance(200)}`,
    );
    const h = await p.previewHealth();
    expect(h.healthy).toBe(false);
    expect(h.reason).toMatch(
      /^1 of 3 green instances ready \(127\.0\.0\.1:\d+: answered 503; 127\.0\.0\.1:\d+: ECONNREFUSED\)$/,
    );
  });

  it('sizing: as many ready preview instances as active ones pass; fewer are refused (SizingError)', async () => {
    const two = `${await instance(200)},${await instance(200)}`;
    const even = await platformFor(two, `${await instance(200)},${await instance(200)}`);
    await expect(even.sizePreview()).resolves.toBe('green: 2 instances ready, as many as blue (2)');
    rmSync(other, { recursive: true, force: true });

    const short = await platformFor(two, await instance(200));
    await expect(short.sizePreview()).rejects.toMatchObject({
      name: 'SizingError',
      message: expect.stringMatching(
        /^green has 1 instance, blue has 2: the nginx platform starts no process/,
      ),
    });
    rmSync(other, { recursive: true, force: true });

    const unready = await platformFor(two, `${await instance(200)},${await instance(503)}`);
    await expect(unready.sizePreview()).rejects.toMatchObject({
      name: 'SizingError',
      message: expect.stringMatching(/^1 of 2 green instances ready after 1 s/),
    });
  });

  it('the run lock renews while it is ours and says so when it was taken over', async () => {
    const p = await platformFor(await instance(200), await instance(200));
    const lock = await p.acquireLock('run');
    await expect(lock.renew()).resolves.toBeUndefined();
    writeFileSync(
      join(other, 'rollout.lock'),
      JSON.stringify({ owner: 'run', pid: 1, host: 'elsewhere', since: 'now' }),
    );
    await expect(lock.renew()).rejects.toMatchObject({
      name: 'LockedError',
      message: expect.stringMatching(/was taken over: .*"host":"elsewhere"/),
    });
    await lock.release(); // not ours any more: left alone
    expect(existsSync(join(other, 'rollout.lock'))).toBe(true);
    rmSync(join(other, 'rollout.lock'));
    await expect(lock.renew()).rejects.toMatchObject({
      name: 'LockedError',
      message: expect.stringMatching(/was removed$/),
    });
  });

  it('init writes the active colour file', async () => {
    await platformFor(await instance(200), await instance(200));
    expect(readFileSync(join(other, 'active-color'), 'utf8')).toBe('blue\n');
  });
});
