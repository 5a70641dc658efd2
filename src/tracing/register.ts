/**
 * The service's first import (src/main.ts): tracing, when the environment turns it on, must be
 * started before `pg` is loaded so that its instrumentation can patch it. Nothing is loaded when off.
 */
import { otelEnvironment } from '../config/otel-environment';
import { startTracing } from './tracing';

startTracing(otelEnvironment());
