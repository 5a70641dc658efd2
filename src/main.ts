// First: tracing (when on) must patch `pg` before anything loads it.
import './tracing/register';
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createApp } from './app.factory';
import { loadConfigOrExit } from './config/config';
import { createLogger, stdoutDestination } from './logging/logger';
import { prepareRuntimeOrExit } from './runtime';
import { createFirstAdmin } from './users/first-admin';
import { exitAfterFlush, flushLogs, installFatalHandler, installShutdown, logFatal } from './shutdown';
import { tracingStatus } from './tracing/tracing';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // One buffered destination for every logger of the process, flushed on the way out.
  const destination = stdoutDestination();
  const bootLogger = createLogger(config, destination);
  installFatalHandler(bootLogger);
  const traces = tracingStatus();
  bootLogger.info(
    { tracing: traces.enabled, endpoint: traces.endpoint, reason: traces.reason },
    `tracing ${traces.enabled ? 'on' : 'off'}: ${traces.reason}`,
  );
  const runtime = await prepareRuntimeOrExit(config, bootLogger);
  try {
    const { app, logger } = await createApp(runtime.config, { logDestination: destination });
    // Decided on the data, not on "this start created the cluster": a first start that died after
    // initdb but before this line must still get its admin on the next start.
    if (runtime.embedded) await createFirstAdmin(app.get(DataSource));
    installShutdown(app, runtime, logger);
    // Every line of the start is on stdout before the first request can be answered.
    await flushLogs(logger);
    await app.listen({ port: runtime.config.port, host: '0.0.0.0' });
    if (runtime.config.faults.enabled) {
      logger.warn(
        { faults: runtime.config.faults },
        'FAULT INJECTION IS ON: /v1 requests will fail or slow down on purpose',
      );
    }
    logger.info({ port: runtime.config.port, embedded: Boolean(runtime.embedded) }, 'Bulwark is listening');
  } catch (error) {
    await logFatal(bootLogger, { err: error }, 'start failed');
    // The application never closed its connections: no point waiting for them to leave.
    await runtime.embedded?.stop('fast');
    exitAfterFlush(bootLogger, 1);
  }
}

void main();
