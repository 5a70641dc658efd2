import { ProviderError } from './provider';
import { parseSampleValue, PrometheusProvider, valueOf } from './prometheus';

const vector = (...values: string[]) => ({
  status: 'success' as const,
  data: {
    resultType: 'vector',
    result: values.map((v) => ({ metric: {}, value: [1, v] as [number, string] })),
  },
});

describe('Prometheus answers', () => {
  it.each([
    ['a one-sample vector', vector('0.25'), 0.25],
    ['an empty vector is no data (NaN)', vector(), NaN],
    ['a NaN sample (0/0)', vector('NaN'), NaN],
    ['+Inf', vector('+Inf'), Infinity],
    [
      'a scalar',
      { status: 'success' as const, data: { resultType: 'scalar', result: [1, '3'] as [number, string] } },
      3,
    ],
  ])('%s', (_n, body, expected) => {
    expect(valueOf(body)).toBe(expected);
  });

  it('refuses several series and error answers', () => {
    expect(() => valueOf(vector('1', '2'))).toThrow(/2 series/);
    expect(() => valueOf({ status: 'error', error: 'parse error at char 5' })).toThrow(ProviderError);
  });

  it('parses special floats', () => {
    expect(parseSampleValue('-Inf')).toBe(-Infinity);
    expect(parseSampleValue('12.5')).toBe(12.5);
  });
});

describe('PrometheusProvider', () => {
  afterEach(() => jest.restoreAllMocks());

  it('queries /api/v1/query with the PromQL', async () => {
    const fetchMock = jest
      .spyOn(global, 'fetch')
      .mockResolvedValue(new Response(JSON.stringify(vector('42')), { status: 200 }));
    await expect(new PrometheusProvider({ address: 'http://prom:9090/' }).query('sum(up)')).resolves.toBe(42);
    expect(String(fetchMock.mock.calls[0][0])).toBe('http://prom:9090/api/v1/query?query=sum%28up%29');
  });

  it('turns an unreachable server into a ProviderError', async () => {
    jest
      .spyOn(global, 'fetch')
      .mockRejectedValue(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    await expect(new PrometheusProvider({ address: 'http://prom:9090' }).query('up')).rejects.toThrow(
      /unreachable: ECONNREFUSED/,
    );
  });

  it('turns a bad query into a ProviderError with Prometheus’ message', async () => {
    jest
      .spyOn(global, 'fetch')
      .mockResolvedValue(
        new Response(JSON.stringify({ status: 'error', error: 'bad_data: parse error' }), { status: 400 }),
      );
    await expect(new PrometheusProvider({ address: 'http://prom:9090' }).query('sum(')).rejects.toThrow(
      /parse error/,
    );
  });

  it('turns a non-JSON answer into a ProviderError', async () => {
    jest.spyOn(global, 'fetch').mockResolvedValue(new Response('<html>bad gateway</html>', { status: 502 }));
    await expect(new PrometheusProvider({ address: 'http://prom:9090' }).query('up')).rejects.toThrow(
      /502 without JSON/,
    );
  });
});
