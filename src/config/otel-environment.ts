/**
 * The standard OpenTelemetry variables (`OTEL_*`, docs/tracing.md) and the two the trace resource
 * names (APP_VERSION, RELEASE_COLOR), read before anything else of the service is loaded: tracing
 * must start before `pg` is (src/tracing/register.ts), so this cannot wait for `loadConfig`.
 */
export function otelEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const picked: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('OTEL_') || name === 'APP_VERSION' || name === 'RELEASE_COLOR') picked[name] = value;
  }
  return picked;
}
