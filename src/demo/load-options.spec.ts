import { parseLoadOptions } from './load-options';

describe('demo load generator options', () => {
  it('defaults: 20 requests/s for 10 minutes over 4 users, a line every 10 s', () => {
    expect(parseLoadOptions(['--target', 'http://envoy.envoy-gateway-system.svc.cluster.local/'])).toEqual({
      target: 'http://envoy.envoy-gateway-system.svc.cluster.local',
      rate: 20,
      durationMs: 600_000,
      users: 4,
      reportEveryMs: 10_000,
    });
  });

  it('reads rate, duration and users', () => {
    expect(
      parseLoadOptions([
        '--target',
        'https://api.example.com',
        '--rate',
        '50',
        '--duration',
        '90s',
        '--users',
        '2',
      ]),
    ).toMatchObject({ rate: 50, durationMs: 90_000, users: 2 });
    expect(parseLoadOptions(['--target', 'http://x', '--rate', '7'])).toMatchObject({ users: 2 });
  });

  it.each([
    [[], /--target is required/],
    [['--target', 'ftp://x'], /http\(s\) URL/],
    [['--target', 'not a url'], /http\(s\) URL/],
    [['--target', 'http://x', '--rate', '0'], /--rate must be a whole number/],
    [['--target', 'http://x', '--duration', 'forever'], /--duration must be a duration/],
    [['--target', 'http://x', '--bogus'], /Unknown option/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseLoadOptions(argv as string[])).toThrow(message);
  });
});
