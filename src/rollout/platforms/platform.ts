import type { CommandRunner } from './command-runner';

export type Colour = 'blue' | 'green';
export const COLOURS: readonly Colour[] = ['blue', 'green'];

export function otherColour(c: Colour): Colour {
  return c === 'blue' ? 'green' : 'blue';
}

export function isColour(v: unknown): v is Colour {
  return v === 'blue' || v === 'green';
}

/** Where traffic goes now: the active colour serves 100 − weight %, the preview colour weight %. */
export interface RolloutState {
  activeColor: Colour;
  previewColor: Colour;
  weight: number;
  /** Version (image tag) per colour; null when a colour has none. */
  versions: Record<Colour, string | null>;
  /** Replicas per colour, where the platform knows them (kubernetes); 0 means no pod to send traffic to. */
  replicas?: Partial<Record<Colour, number>>;
}

export interface Lock {
  release(): Promise<void>;
  /** Called every round; throws LockedError when the lock was taken over. */
  renew(): Promise<void>;
}

export interface PreviewHealth {
  /** false: the preview colour cannot serve its share of traffic; the round fails at once. */
  healthy: boolean;
  /** One line for the operator, e.g. "0 of 2 pods available, 3 restarts". */
  reason: string;
}
export class SizingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SizingError';
  }
}

/**
 * A traffic router with two colours. Every method leaves the platform in a state `readState`
 * can read back; none of them decide anything — the analysis does.
 */
export interface Platform {
  readonly type: string;
  /** Reads the state; throws InconsistentStateError when it cannot be trusted. */
  readState(): Promise<RolloutState>;
  /** Puts `tag` on the idle colour (weight 0) and waits until it is ready. */
  start(tag: string): Promise<void>;
  /** Sends `weight` % of traffic to the preview colour. */
  setWeight(weight: number): Promise<void>;
  /** The preview colour becomes active, weight back to 0. */
  promote(): Promise<void>;
  /** Weight back to 0; the active colour keeps all traffic. Works on an inconsistent state too. */
  abort(): Promise<void>;
  /** Refuses (LockedError) while another rollout holds the lock. */
  acquireLock(owner: string): Promise<Lock>;
  /** Every round: can the preview colour serve its share (Kubernetes: available vs desired replicas, restarts; nginx: its upstream answering)? */
  previewHealth(): Promise<PreviewHealth>;
  /** Before any step above 50 % and before promotion: sizes the preview colour to the active colour's current instance count (and its HPA minimum), waits until ready; returns one line for the log; throws SizingError when it cannot (the run then refuses to go past 50 %). */
  sizePreview(): Promise<string>;
  /** After an abort/rollback (delay = abortScaleDownDelaySeconds) or a promotion (delay = scaleDownDelaySeconds): `colour` is scaled to 0 once the delay has passed. Returns one line for the log saying when and how. */
  scheduleScaleDown(colour: Colour, delaySeconds: number): Promise<string>;
}

export interface PlatformOptions {
  runner: CommandRunner;
  /** nginx: the directory holding rollout-state.json and nginx.conf. */
  nginxDir?: string;
  /** nginx: the nginx binary (default `nginx`, or /usr/sbin/nginx when not on PATH). */
  nginxBin?: string;
  /** kubernetes */
  release?: string;
  namespace?: string;
  chart?: string;
  chartVersion?: string;
  fullname?: string;
  kubeContext?: string;
  helm?: string;
  kubectl?: string;
  /** How long `start` waits for the idle colour to be ready. */
  readyTimeoutMs?: number;
  /** kubernetes: one line for the operator about something the platform did on its own (a lock taken over, the break-glass path, a due scale-down, where the namespace came from). */
  log?: (line: string) => void;
  /** kubernetes: waits `ms` (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
  /** kubernetes: the clock (tests pass a fixed one). */
  now?: () => Date;
}

export class InconsistentStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InconsistentStateError';
  }
}

/** A change lost to an `abort` that came meanwhile (abort takes no lock): the abort stands. */
export class AbortedByHandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AbortedByHandError';
  }
}

export class LockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockedError';
  }
}

export function assertWeight(weight: number): void {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100)
    throw new Error(`weight must be an integer 0–100, got ${weight}`);
}
