import { Injectable } from '@nestjs/common';

/** Whether a shutdown is under way: readiness answers 503 and responses ask clients to reconnect. */
@Injectable()
export class Lifecycle {
  private shutdownStartedAt: number | undefined;

  beginShutdown(): void {
    this.shutdownStartedAt ??= Date.now();
  }

  get shuttingDown(): boolean {
    return this.shutdownStartedAt !== undefined;
  }
}
