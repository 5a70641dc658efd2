import { tracingDecision } from './tracing';

describe('tracingDecision (the standard OTEL_* variables)', () => {
  it('is off with nothing set, and says why', () => {
    expect(tracingDecision({})).toEqual({
      enabled: false,
      reason: 'no OTLP endpoint configured (OTEL_EXPORTER_OTLP_ENDPOINT)',
    });
  });

  it('is on with an OTLP endpoint, traces going to <base>/v1/traces', () => {
    expect(tracingDecision({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      enabled: true,
      endpoint: 'http://collector:4318/v1/traces',
    });
  });

  it('takes the traces endpoint as given, over the base one', () => {
    expect(
      tracingDecision({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/custom',
      }),
    ).toMatchObject({ enabled: true, endpoint: 'https://traces.example/custom' });
  });

  it('OTEL_TRACES_EXPORTER=otlp alone turns it on with the default endpoint', () => {
    expect(tracingDecision({ OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({
      enabled: true,
      endpoint: 'http://localhost:4318/v1/traces',
    });
  });

  it.each([
    [{ OTEL_SDK_DISABLED: 'true' }, 'OTEL_SDK_DISABLED=true'],
    [{ OTEL_TRACES_EXPORTER: 'none' }, 'OTEL_TRACES_EXPORTER=none'],
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER=zipkin is not supported'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported'],
  ])('stays off with %j, an endpoint notwithstanding', (env, reason) => {
    const decision = tracingDecision({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    expect(decision.enabled).toBe(false);
    expect(decision.reason).toContain(reason);
  });

  it('accepts http/json and http/protobuf (JSON is sent; collectors take both)', () => {
    for (const protocol of ['http/json', 'http/protobuf'])
      expect(
        tracingDecision({
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        }).enabled,
      ).toBe(true);
  });
});
