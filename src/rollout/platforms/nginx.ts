import { join } from 'node:path';
import {
  ACTIVE_COLOR_FILE,
  instancesOf,
  NginxState,
  scaledDown,
  STATE_FILE,
  toRolloutState,
} from './nginx-config';
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
  SizingError,
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
    // Locally the processes are the operator's: `start` waits until each of the idle colour's
    // instances runs the tag and is ready, then records it.
    for (const instance of instancesOf(state.upstreams[idle])) await this.awaitInstance(idle, instance, tag);
    // A new version on the idle colour: it is no longer due to be scaled down.
    const { scaleDown, ...rest } = state;
    await this.apply({
      ...rest,
      ...(scaleDown && scaleDown.colour !== idle ? { scaleDown } : {}),
      weight: 0,
      upstreams: { ...state.upstreams, [idle]: { address, version: tag } },
    });
  }

  private async awaitInstance(idle: Colour, address: string, tag: string): Promise<void> {
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
  }

  async setWeight(weight: number): Promise<void> {
    assertWeight(weight);
    const state = await this.dir.loadConsistent();
    const preview = otherColour(state.activeColor);
    if (weight > 0 && state.upstreams[preview].version === null) {
      throw new InconsistentStateError('the preview colour has no version: run `start --tag T` first');
    }
    if (weight > 0 && scaledDown(state, preview))
      throw new InconsistentStateError(
        `the preview colour ${preview} was scaled down at ${state.scaleDown!.at}: run \`start --tag T\` first`,
      );
    await this.apply({ ...state, weight });
  }

  async promote(): Promise<void> {
    const state = await this.dir.loadConsistent();
    const preview = otherColour(state.activeColor);
    if (state.upstreams[preview].version === null)
      throw new InconsistentStateError(`the preview colour ${preview} has no version to promote`);
    if (scaledDown(state, preview))
      throw new InconsistentStateError(
        `the preview colour ${preview} was scaled down at ${state.scaleDown!.at}: promoting it is no longer an instant undo; run \`start --tag T\` first`,
      );
    // Promoting a colour that was due to be scaled down (an undo within the delay) cancels that.
    const { scaleDown, ...rest } = state;
    await this.apply({
      ...rest,
      ...(scaleDown && scaleDown.colour !== preview ? { scaleDown } : {}),
      activeColor: preview,
      weight: 0,
    });
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

  /** Each instance's /health/ready: the address and 'ready', or why not. */
  private async readiness(addresses: string[], timeoutMs = 5000): Promise<Array<[string, string | null]>> {
    return Promise.all(
      addresses.map(async (address): Promise<[string, string | null]> => {
        try {
          const r = await fetch(`http://${address}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
          await r.arrayBuffer();
          return [address, r.status === 200 ? null : `answered ${r.status}`];
        } catch (err) {
          const code = (err as { cause?: { code?: string } }).cause?.code;
          return [address, code ?? (err as Error).message];
        }
      }),
    );
  }

  /** The preview colour's upstream answering: every one of its instances ready on /health/ready. */
  async previewHealth(): Promise<PreviewHealth> {
    const state = await this.dir.loadState();
    const preview = otherColour(state.activeColor);
    const addresses = instancesOf(state.upstreams[preview]);
    const results = await this.readiness(addresses);
    const failing = results.filter(([, problem]) => problem !== null);
    const ready = `${addresses.length - failing.length} of ${addresses.length} ${preview} instances ready`;
    return failing.length === 0
      ? { healthy: true, reason: ready }
      : { healthy: false, reason: `${ready} (${failing.map(([a, p]) => `${a}: ${p}`).join('; ')})` };
  }

  /**
   * The nginx platform starts no process (the instances are the operator's), so it cannot add
   * instances: it checks the preview has as many as the active colour, all ready (waiting up to the
   * ready timeout), and refuses (SizingError) otherwise — the run then goes no further than 50 %.
   */
  async sizePreview(): Promise<string> {
    const state = await this.dir.loadState();
    const active = state.activeColor;
    const preview = otherColour(active);
    const want = instancesOf(state.upstreams[active]).length;
    const have = instancesOf(state.upstreams[preview]);
    if (have.length < want)
      throw new SizingError(
        `${preview} has ${have.length} instance${have.length === 1 ? '' : 's'}, ${active} has ${want}: the nginx platform starts no process. ` +
          `Start ${want - have.length} more ${preview} instance${want - have.length === 1 ? '' : 's'}, list ${want - have.length === 1 ? 'it' : 'them'} in upstreams.${preview}.address ` +
          `of ${join(this.dir.path, STATE_FILE)} (comma-separated), run \`abort\` to render nginx.conf, then \`run\` again`,
      );
    const deadline = Date.now() + (this.o.readyTimeoutMs ?? 120_000);
    for (;;) {
      const failing = (await this.readiness(have)).filter(([, problem]) => problem !== null);
      if (failing.length === 0)
        return `${preview}: ${have.length} instance${have.length === 1 ? '' : 's'} ready, as many as ${active} (${want})`;
      if (Date.now() > deadline)
        throw new SizingError(
          `${have.length - failing.length} of ${have.length} ${preview} instances ready after ${Math.round((this.o.readyTimeoutMs ?? 120_000) / 1000)} s (${failing
            .map(([a, p]) => `${a}: ${p}`)
            .join('; ')})`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * The nginx platform cannot stop the operator's processes. It records when `colour` is due to be
   * scaled to 0; from then on the colour counts as having no instance (no weight may go to it,
   * `promote` refuses, `start --tag` brings it back), so its processes may be stopped without
   * anything routing to them. Until then, `promote` back to it is an instant undo.
   */
  async scheduleScaleDown(colour: Colour, delaySeconds: number): Promise<string> {
    const state = await this.dir.loadConsistent();
    if (colour === state.activeColor)
      throw new InconsistentStateError(`${colour} is the active colour: it is not scaled down`);
    const at = new Date(Date.now() + delaySeconds * 1000).toISOString();
    await this.apply({ ...state, scaleDown: { colour, at } });
    const addresses = instancesOf(state.upstreams[colour]).join(', ');
    return (
      `${colour} (${state.upstreams[colour].version ?? 'no version'}) gets no traffic and, by ${ACTIVE_COLOR_FILE}, no background work; ` +
      `it counts as scaled down from ${at} (in ${delaySeconds} s), and its processes (${addresses}) may be stopped then — ` +
      `the nginx platform starts and stops no process` +
      (delaySeconds > 0 ? `; until then \`promote\` to it is an instant undo` : '')
    );
  }
}
