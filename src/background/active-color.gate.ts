import { readFileSync } from 'node:fs';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { APP_LOGGER } from '../core/logger.token';
import { METRIC_NAMES } from '../metrics/metric-names';
import { MetricsService } from '../metrics/metrics.service';
import { Color, describeContent } from './active-color';
import { describeRole, Role, ROLE_LABEL } from './active-role';

type ActiveChangeListener = (active: boolean) => void | Promise<void>;

/**
 * Whether this instance runs the background work: the webhook dispatcher and the scheduled purges.
 * Only pods of the active colour do, so a preview colour — a version under analysis, or one that was
 * rejected — never delivers a webhook or deletes a row on a schedule. Nothing of it is decided at
 * start: ACTIVE_COLOR_FILE is re-read every ACTIVE_COLOR_POLL_MS and the work moves with it, so a
 * promotion moves it without restarting a pod.
 *
 * - ACTIVE_COLOR_FILE unset: always active (one colour, local runs, the tests).
 * - The file names RELEASE_COLOR: active; the other colour: not.
 * - The file is missing or names no colour: the last decision stands (a ConfigMap being swapped, a
 *   half-written file); with no decision yet, not active. Two colours briefly both active during a
 *   switch is safe: deliveries are claimed with SKIP LOCKED and leased, purges are plain DELETEs.
 *
 * Engine argo (docs/engines.md) has no colours: ACTIVE_ROLE_FILE names the pod's own labels file
 * (downward API), re-read the same way. A pod labelled `bulwark.dev/role=stable` is active; `canary`
 * or no role label (a ReplicaSet Argo no longer counts as stable) is not; an unreadable file keeps
 * the last decision, as above.
 */
@Injectable()
export class ActiveColorGate implements OnModuleInit, OnApplicationShutdown {
  private isActive: boolean;
  private activeColor: Color | undefined;
  private role: Role | 'none' | undefined;
  private problem: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<ActiveChangeListener>();
  private readonly gauge: Gauge | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    @Optional() metrics?: MetricsService,
  ) {
    this.isActive =
      config.background.activeColorFile === undefined && config.background.activeRoleFile === undefined;
    if (metrics) {
      this.gauge = new Gauge({
        name: METRIC_NAMES.backgroundWorkActive,
        help: 'Whether this instance runs the background work (webhook dispatcher, scheduled purges): 1 yes, 0 no',
        registers: [metrics.registry],
      });
      this.gauge.set(this.isActive ? 1 : 0);
    }
  }

  /** Before any bootstrap hook: the dispatcher asks on bootstrap whether to start. */
  onModuleInit(): void {
    const { activeColorFile, activeRoleFile, activeColorPollMs } = this.config.background;
    if (activeColorFile === undefined && activeRoleFile === undefined) return;
    this.refresh();
    if (!this.isActive) this.logDecision();
    this.timer = setInterval(() => this.refresh(), activeColorPollMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get active(): boolean {
    return this.isActive;
  }

  /** Calls `listener` on every change of `active` (not for the current value). Returns an unsubscribe. */
  onChange(listener: ActiveChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** For the scheduled purges: runs `work` when this instance is active; skips it (and says so) otherwise. */
  async whenActive<T>(task: string, work: () => Promise<T>): Promise<T | undefined> {
    if (!this.isActive) {
      this.logger.debug({ task }, 'scheduled task skipped: this colour is not active');
      return undefined;
    }
    return work();
  }

  /** Reads the file once and applies what it says (the poll calls this; exposed for tests). */
  refresh(): void {
    const { activeColorFile, activeRoleFile } = this.config.background;
    const file = activeRoleFile ?? activeColorFile;
    if (file === undefined) return;
    const what = activeRoleFile !== undefined ? 'pod role' : 'active colour';
    let reading: ReturnType<typeof describeContent> | ReturnType<typeof describeRole>;
    try {
      const text = readFileSync(file, 'utf8');
      reading = activeRoleFile !== undefined ? describeRole(text) : describeContent(text);
    } catch (error) {
      reading = { problem: `the file cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    if ('problem' in reading) {
      if (reading.problem !== this.problem) {
        this.logger.error(
          { file, problem: reading.problem, active: this.isActive, ...this.describe() },
          `${what} unknown: background work stays as it is`,
        );
      }
      this.problem = reading.problem;
      return;
    }
    if (this.problem !== undefined) this.logger.info({ file }, `${what} readable again`);
    this.problem = undefined;
    if ('role' in reading) {
      this.role = reading.role;
      this.set(reading.role === 'stable');
    } else {
      this.activeColor = reading.color;
      this.set(reading.color === this.config.releaseColor);
    }
  }

  /** What the decision rests on, for log lines. */
  private describe(): Record<string, string | null> {
    if (this.config.background.activeRoleFile !== undefined) return { [ROLE_LABEL]: this.role ?? null };
    return { activeColor: this.activeColor ?? null, releaseColor: this.config.releaseColor };
  }

  private set(active: boolean): void {
    if (active === this.isActive) return;
    this.isActive = active;
    this.gauge?.set(active ? 1 : 0);
    this.logDecision();
    for (const listener of this.listeners) {
      void Promise.resolve()
        .then(() => listener(active))
        .catch((error: unknown) =>
          this.logger.error({ err: error }, 'background work: switching on/off failed'),
        );
    }
  }

  private logDecision(): void {
    const who = this.config.background.activeRoleFile !== undefined ? 'this pod' : 'this colour';
    const role = this.config.background.activeRoleFile !== undefined ? 'stable' : 'active';
    this.logger.info(
      { ...this.describe(), active: this.isActive },
      this.isActive
        ? `${who} is ${role}: running the background work (webhook dispatcher, scheduled purges)`
        : `${who} is not ${role}: no background work (webhook dispatcher, scheduled purges)`,
    );
  }
}
