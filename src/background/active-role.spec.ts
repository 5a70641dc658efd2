import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { testConfig } from '../config/config';
import { ActiveColorGate } from './active-color.gate';
import { describeRole, parseLabels } from './active-role';

/** A downward API `metadata.labels` file as the kubelet writes it: sorted `key="value"` lines. */
const labelsFile = (labels: Record<string, string>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join('\n');

const POD = {
  'app.kubernetes.io/component': 'server',
  'app.kubernetes.io/instance': 'shop',
  'app.kubernetes.io/name': 'bulwark',
  'app.kubernetes.io/version': '1.5.0',
  'rollouts-pod-template-hash': '6d9f7c8b5',
};

describe('the pod labels file (engine argo)', () => {
  it('reads the labels the kubelet writes', () => {
    const labels = parseLabels(labelsFile({ ...POD, 'bulwark.dev/role': 'canary' }));
    expect(labels?.get('bulwark.dev/role')).toBe('canary');
    expect(labels?.get('app.kubernetes.io/version')).toBe('1.5.0');
    expect(labels?.size).toBe(6);
  });

  it.each([
    ['stable', { role: 'stable' }],
    ['canary', { role: 'canary' }],
  ])('bulwark.dev/role=%s', (role, expected) => {
    expect(describeRole(labelsFile({ ...POD, 'bulwark.dev/role': role }))).toEqual(expected);
  });

  it('no role label: none (a ReplicaSet that is neither stable nor canary)', () => {
    expect(describeRole(labelsFile(POD))).toEqual({ role: 'none' });
  });

  it.each(['', '\n', 'bulwark.dev/role=stable', 'stable', 'a="b"\nnot a label'])(
    'refuses %j (empty, half-written or not a labels file)',
    (text) => {
      expect(describeRole(text)).toEqual({ problem: expect.stringContaining('does not list the pod') });
    },
  );

  it('refuses a role that is neither stable nor canary', () => {
    expect(describeRole(labelsFile({ ...POD, 'bulwark.dev/role': 'preview' }))).toEqual({
      problem: expect.stringContaining('neither stable nor canary'),
    });
  });
});

describe('ActiveColorGate with ACTIVE_ROLE_FILE (engine argo)', () => {
  let dir: string;
  let gate: ActiveColorGate | undefined;
  let version: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-role-'));
    version = 0;
  });
  afterEach(() => {
    gate?.onApplicationShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Writes the labels the way the kubelet updates a downward API volume: a new timestamped folder,
   * then the `..data` symlink swapped atomically; `labels` is a symlink through `..data`.
   */
  function writeLabels(labels: Record<string, string>): void {
    version += 1;
    const data = join(dir, `..v${version}`);
    mkdirSync(data);
    writeFileSync(join(data, 'labels'), labelsFile(labels));
    symlinkSync(`..v${version}`, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    if (version === 1) symlinkSync('..data/labels', join(dir, 'labels'));
  }

  function start(pollMs: number): { gate: ActiveColorGate; changes: boolean[] } {
    const base = testConfig();
    const config = {
      ...base,
      background: {
        activeColorFile: undefined,
        activeRoleFile: join(dir, 'labels'),
        activeColorPollMs: pollMs,
      },
    };
    gate = new ActiveColorGate(config, pino({ level: 'silent' }));
    const changes: boolean[] = [];
    gate.onChange((active) => {
      changes.push(active);
    });
    gate.onModuleInit();
    return { gate, changes };
  }

  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(check()).toBe(true);
  }

  it('a canary pod runs no background work; promotion (the label moved in place) starts it without a restart', async () => {
    writeLabels({ ...POD, 'bulwark.dev/role': 'canary' });
    const { gate: g, changes } = start(20);
    expect(g.active).toBe(false);
    writeLabels({ ...POD, 'bulwark.dev/role': 'stable' });
    await until(() => g.active);
    expect(changes).toEqual([true]);
    // The previous stable ReplicaSet after a promotion: Argo removes its role label.
    writeLabels(POD);
    await until(() => !g.active);
    expect(changes).toEqual([true, false]);
  });

  it('a stable pod runs it from the start', () => {
    writeLabels({ ...POD, 'bulwark.dev/role': 'stable' });
    expect(start(60_000).gate.active).toBe(true);
  });

  it('an unreadable file keeps the last decision; with none yet, no background work', () => {
    const { gate: g } = start(60_000);
    expect(g.active).toBe(false);
    writeLabels({ ...POD, 'bulwark.dev/role': 'stable' });
    g.refresh();
    expect(g.active).toBe(true);
    rmSync(join(dir, 'labels'));
    g.refresh();
    expect(g.active).toBe(true);
  });

  it('skips scheduled work while canary', async () => {
    writeLabels({ ...POD, 'bulwark.dev/role': 'canary' });
    const { gate: g } = start(60_000);
    const work = jest.fn(async () => 'done');
    expect(await g.whenActive('purge', work)).toBeUndefined();
    expect(work).not.toHaveBeenCalled();
  });
});
