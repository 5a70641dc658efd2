import { fastifyTrustProxy, parseTrustProxy } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['1', 1],
    [' 2 ', 2],
    ['16', 16],
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['10.0.0.0/8, 192.168.1.7,fd00::/8', ['10.0.0.0/8', '192.168.1.7', 'fd00::/8']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
  ])('reads %p as %p', (raw, value) => {
    expect(parseTrustProxy(raw)).toEqual({ value });
  });

  it('refuses true, saying why and what to set instead', () => {
    for (const raw of ['true', 'TRUE', 'yes']) {
      const outcome = parseTrustProxy(raw);
      expect(outcome).toEqual({ problem: expect.stringMatching(/forge its address.*number of proxies/) });
    }
  });

  it.each([
    '17',
    '-1',
    '1.5',
    'maybe',
    '10.0.0.0/33',
    '300.1.1.1',
    '0x7f.1',
    '10.0.0.0/8/1',
    'fd00::/200',
    '1,2',
  ])('refuses %p', (raw) => {
    expect(parseTrustProxy(raw)).toEqual({ problem: expect.any(String) });
  });
});

describe('fastifyTrustProxy', () => {
  it('trusts exactly the given number of nearest hops', () => {
    const trust = fastifyTrustProxy(1) as (address: string, hop: number) => boolean;
    expect([0, 1, 2].map((hop) => trust('10.0.0.1', hop))).toEqual([true, false, false]);
    expect(fastifyTrustProxy(false)).toBe(false);
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
  });
});
