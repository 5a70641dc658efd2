import type { CheckResult } from './analysis';

// Every decision of the tool as one event: a readable line (default) or a JSON line (--json).

/** The values one analysis round read, per colour (null: not read); `stable` only when compared. */
export interface RoundReadings {
  canary: { requests: number | null; errorRate: number | null; p95: number | null };
  stable?: { requests: number | null; errorRate: number | null; p95: number | null };
  /** Why a value is null: the provider's error, or "no data" for an empty answer. */
  missing?: string[];
}

export type RolloutEvent =
  | {
      event: 'status';
      platform: string;
      activeColor: string;
      previewColor: string;
      weight: number;
      versions: Record<string, string | null>;
    }
  | { event: 'started'; tag: string; colour: string }
  | {
      event: 'run';
      platform: string;
      activeColor: string;
      previewColor: string;
      versions: Record<string, string | null>;
      steps: number[];
      interval: string;
      window: string;
      thresholds: Record<string, number | undefined>;
    }
  | { event: 'weight'; step: number; steps: number; weight: number }
  | ({ event: 'check'; step: number; weight: number; round: number } & CheckResult)
  | {
      event: 'decision';
      step: number;
      weight: number;
      round: number;
      decision: string;
      status: string;
      failedChecks: number;
      failureLimit: number;
      reason: string;
      /** What the round read (the report draws it); absent from events of older versions. */
      readings?: RoundReadings;
    }
  | { event: 'sized'; step: number; weight: number; message: string }
  | { event: 'scale-down'; colour: string; delaySeconds: number; message: string }
  | { event: 'promoted'; activeColor: string; version: string | null }
  | { event: 'rolled-back'; activeColor: string; reason: string }
  | { event: 'aborted'; activeColor: string }
  | { event: 'error'; message: string }
  /** Something the platform did or found on its own (a lock taken over, a break-glass abort, a scale-down). */
  | { event: 'note'; message: string };

export interface Reporter {
  emit(e: RolloutEvent): void;
}

const num = (v: number | null): string =>
  v === null || Number.isNaN(v) ? 'none' : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));

export function formatText(e: RolloutEvent): string {
  switch (e.event) {
    case 'status':
      return `active ${e.activeColor} (${e.versions[e.activeColor] ?? 'no version'}), preview ${e.previewColor} (${e.versions[e.previewColor] ?? 'no version'}), canary weight ${e.weight}% [${e.platform}]`;
    case 'started':
      return `started ${e.tag} on the idle colour ${e.colour}: ready, weight 0`;
    case 'run':
      return (
        `rollout of ${e.previewColor} (${e.versions[e.previewColor]}) beside ${e.activeColor} (${e.versions[e.activeColor]}) on ${e.platform}: ` +
        `steps ${e.steps.join(',')}, interval ${e.interval}, window ${e.window}, ` +
        Object.entries(e.thresholds)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
      );
    case 'weight':
      return `[step ${e.step}/${e.steps}] weight ${e.weight}% to the canary`;
    case 'check':
      return (
        `[step ${e.step} weight ${e.weight}% round ${e.round}] ${e.check}: ${e.status.toUpperCase()} value=${num(e.value)} threshold ${e.comparator} ${num(e.threshold)} — ${e.reason}\n` +
        `    query: ${e.query}`
      );
    case 'decision':
      return `[step ${e.step} weight ${e.weight}% round ${e.round}] => ${e.decision.toUpperCase()} (round ${e.status}, failed checks ${e.failedChecks}/${e.failureLimit}): ${e.reason}`;
    case 'sized':
      return `[step ${e.step} weight ${e.weight}%] preview sized: ${e.message}`;
    case 'scale-down':
      return `scale-down of ${e.colour} in ${e.delaySeconds}s: ${e.message}`;
    case 'promoted':
      return `PROMOTED: ${e.activeColor} (${e.version}) is active, canary weight 0`;
    case 'rolled-back':
      return `ROLLED BACK: ${e.activeColor} keeps all traffic, canary weight 0 — ${e.reason}`;
    case 'aborted':
      return `aborted: ${e.activeColor} keeps all traffic, canary weight 0`;
    case 'error':
      return `error: ${e.message}`;
    case 'note':
      return e.message;
  }
}

export class StreamReporter implements Reporter {
  constructor(
    private readonly json: boolean,
    private readonly out: (line: string) => void,
  ) {}

  emit(e: RolloutEvent): void {
    if (this.json) {
      this.out(
        JSON.stringify({ time: new Date().toISOString(), ...e }, (_k, v: unknown) =>
          typeof v === 'number' && !Number.isFinite(v) ? null : v,
        ),
      );
    } else {
      this.out(`${new Date().toISOString().slice(11, 19)} ${formatText(e)}`);
    }
  }
}
