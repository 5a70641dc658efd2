import { NginxState, STATE_FILE, toRolloutState } from './nginx-config';
import { NginxDir } from './nginx-dir';
import { defaultNginxBin, NginxReloader } from './nginx-reload';
import {
  AbortedByHandError,
  assertWeight,
  Colour,
  InconsistentStateError,
  Lock,
  otherColour,
  Platform,
  PlatformOptions,
  PreviewHealth,
  RolloutState,
} from './platform';

// A weighted nginx upstream in front of two local Bulwark processes. The directory (nginx-dir.ts)
// holds the state, the conf and the lock; the running nginx (nginx-reload.ts) is made to load each
// change before the state file records it.
// http://nginx.org/en/docs/http/ngx_http_upstream_module.html#server — weight=0 is invalid, so a
// colour without traffic is marked `down`.
// `abort` takes no lock, so it can interleave with a `run`'s change: temp files are unique per write,
// and the state file is only replaced when its generation is still the one the change started from
// (else the other writer's state is loaded into nginx again and the change gives way).

function versionIn(body: unknown): string | null {
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (k === 'version' && typeof v === 'string') return v;
      const inner = versionIn(v);
      if (inner) return inner;
    }
  }
  return null;
}

export class NginxPlatform implements Platform {
  readonly type = 'nginx';
  private readonly dir: NginxDir;
  private readonly nginx: NginxReloader;

  constructor(private readonly o: PlatformOptions) {
    if (!o.nginxDir) throw new Error('the nginx platform needs --nginx-dir (or ROLLOUT_NGINX_DIR)');
    this.dir = new NginxDir(o.nginxDir);
    this.nginx = new NginxReloader(o.runner, o.nginxBin ?? defaultNginxBin(), o.nginxDir);
  }

  /** Applies `wanted` (read from the state file); gives way to an `abort` that wrote meanwhile. */
  private async apply(wanted: NginxState): Promise<void> {
    if (await this.tryApply(wanted)) return;
    // Someone wrote the state file since `wanted` was read: their change stands. nginx may be running
    // our config, so load theirs again, then stop.
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.dir.loadState();
      if (await this.tryApply(current)) {
        if (current.weight === 0 && current.activeColor === wanted.activeColor)
          throw new AbortedByHandError('aborted by hand during the change: weight 0 stands');
        throw new InconsistentStateError(
          `the state changed during the change (active ${current.activeColor}, weight ${current.weight}); it stands`,
        );
      }
    }
    throw new Error(`${STATE_FILE} keeps changing under this change; run \`abort\``);
  }

  /**
   * Loads the conf for `wanted` + 1 generation into nginx, then records it as the state — unless the
   * state file's generation is no longer `wanted`'s: false then, the state left alone.
   */
  private async tryApply(wanted: NginxState): Promise<boolean> {
    const next: NginxState = { ...wanted, generation: (wanted.generation ?? 0) + 1 };
    await this.nginx.load(next);
    return this.dir.recordIfStill(wanted.generation ?? 0, next);
  }

  async readState(): Promise<RolloutState> {
    return toRolloutState(await this.dir.loadConsistent());
  }

  async start(tag: string): Promise<void> {
    const state = await this.dir.loadConsistent();
    if (state.weight > 0)
      throw new InconsistentStateError(
        `a canary is live at weight ${state.weight}: promote or abort it before starting another version`,
      );
    const idle = otherColour(state.activeColor);
    const address = state.upstreams[idle].address;
    // Locally the processes are the operator's: `start` waits until the idle colour's process runs
    // the tag and is ready, then records it.
    const deadline = Date.now() + (this.o.readyTimeoutMs ?? 120_000);
    let last = 'no answer yet';
    for (;;) {
      try {
        const live = await fetch(`http://${address}/health/live`, { signal: AbortSignal.timeout(2000) });
        const version = versionIn(await live.json().catch(() => null));
        const ready = await fetch(`http://${address}/health/ready`, { signal: AbortSignal.timeout(2000) });
        await ready.arrayBuffer();
        if (version !== null && version !== tag) last = `runs version ${version}, not ${tag}`;
        else if (ready.status !== 200) last = `not ready (/health/ready answered ${ready.status})`;
        else break;
      } catch (err) {
        last = `unreachable (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message})`;
      }
      if (Date.now() > deadline)
        throw new Error(`idle colour ${idle} at ${address} ${last}: deploy ${tag} there and retry`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await this.apply({
      ...state,
      weight: 0,
      upstreams: { ...state.upstreams, [idle]: { address, version: tag } },
    });
  }

  async setWeight(weight: number): Promise<void> {
    assertWeight(weight);
    const state = await this.dir.loadConsistent();
    if (weight > 0 && state.upstreams[otherColour(state.activeColor)].version === null) {
      throw new InconsistentStateError('the preview colour has no version: run `start --tag T` first');
    }
    await this.apply({ ...state, weight });
  }

  async promote(): Promise<void> {
    const state = await this.dir.loadConsistent();
    const preview = otherColour(state.activeColor);
    if (state.upstreams[preview].version === null)
      throw new InconsistentStateError(`the preview colour ${preview} has no version to promote`);
    await this.apply({ ...state, activeColor: preview, weight: 0 });
  }

  async abort(): Promise<void> {
    // The state file alone is enough: abort is the way out of a hand-edited nginx.conf too. No lock:
    // when a `run` records a change meanwhile, abort starts again from the state it wrote.
    for (let attempt = 0; attempt < 5; attempt++) {
      const state = await this.dir.loadState();
      if (await this.tryApply({ ...state, weight: 0 })) return;
    }
    throw new Error(`${STATE_FILE} keeps changing under abort; run it again`);
  }

  acquireLock(owner: string): Promise<Lock> {
    return this.dir.acquireLock(owner);
  }

  previewHealth(): Promise<PreviewHealth> {
    return Promise.reject(new Error('nginx previewHealth: coming in the next commit of this branch'));
  }

  sizePreview(): Promise<string> {
    return Promise.reject(new Error('nginx sizePreview: coming in the next commit of this branch'));
  }

  scheduleScaleDown(_colour: Colour, _delaySeconds: number): Promise<string> {
    return Promise.reject(new Error('nginx scheduleScaleDown: coming in the next commit of this branch'));
  }
}
