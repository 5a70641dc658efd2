import type { Reporter, RolloutEvent } from '../reporter';
import { renderReport } from './html';
import { buildReportModel, TimedEvent } from './model';

/**
 * Passes every event on to the reporter that prints it, and keeps it with the time it was emitted,
 * for the page of `run --report FILE`.
 */
export class RecordingReporter implements Reporter {
  readonly events: TimedEvent[] = [];

  constructor(
    private readonly inner: Reporter,
    private readonly now: () => number = Date.now,
  ) {}

  emit(e: RolloutEvent): void {
    this.events.push({ time: this.now(), event: e });
    this.inner.emit(e);
  }

  /** The report page of the run so far (the events of the `run` command onwards). */
  html(): string {
    const start = this.events.findIndex((t) => t.event.event === 'run');
    return renderReport(buildReportModel(start >= 0 ? this.events.slice(start) : this.events));
  }
}
