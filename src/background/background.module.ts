import { Global, Module } from '@nestjs/common';
import { ActiveColorGate } from './active-color.gate';

/**
 * Who runs the background work (ActiveColorGate). Global: the webhook dispatcher and the scheduled
 * purges of several feature modules ask the one gate of the process.
 */
@Global()
@Module({
  providers: [ActiveColorGate],
  exports: [ActiveColorGate],
})
export class BackgroundModule {}
