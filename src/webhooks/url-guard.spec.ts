import {
  DEFAULT_LOOKUP_TIMEOUT_MS,
  isForbiddenAddress,
  parseWebhookUrl,
  resolveWebhookTarget,
  WebhookUrlRefused,
} from './url-guard';

describe('webhook URL guard', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fd00::1',
    'fc00::1',
    'fe80::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    // IPv4-compatible (::a.b.c.d), in both spellings
    '::7f00:1',
    '::127.0.0.1',
    '::a00:1',
    '::a9fe:a9fe',
    // IPv4-translated (::ffff:0:a.b.c.d)
    '::ffff:0:7f00:1',
    // NAT64 well-known prefix carrying a forbidden IPv4; the local-use prefix outright
    '64:ff9b::7f00:1',
    '64:ff9b::10.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b:1::808:808',
    // 6to4 carrying a forbidden IPv4
    '2002:7f00:1::',
    '2002:a00:1::1',
    '2002:a9fe:a9fe::1',
    '2002:c0a8:101:0:0:0:0:1',
    // site-local, Teredo
    'fec0::1',
    'feff::1',
    '2001::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    // a zone id does not hide a link-local address
    'fe80::1%eth0',
    'not-an-ip',
    // documentation, 6to4 relay anycast, discard-only and ORCHID ranges (issue 14, finding 10)
    '192.0.2.1',
    '198.51.100.1',
    '203.0.113.1',
    '192.88.99.1',
    '2001:db8::1',
    '100::1',
    '2001:10::1',
    // IETF protocol assignments, benchmarking, AS112, documentation (RFC 9637), segment routing
    '2001:1::1',
    '2001:2::1',
    '192.175.48.1',
    '2620:4f:8000::1',
    '3fff::1',
    '5f00::1',
    '198.18.0.1',
    // NAT64 / 6to4 / translated forms carrying a documentation address
    '64:ff9b::192.0.2.1',
    '2002:c000:201::1',
    '::ffff:0:c000:201',
  ])('refuses %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    // the same public IPv4 carried by IPv6: compatible, NAT64, 6to4
    '::808:808',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    // near the refused ranges, but outside them
    '2001:db9::1',
    '2003::1',
    'fbff::1',
    '2001:4860:4860::8888',
  ])('accepts public %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it('refuses non-http schemes, credentials and garbage before any DNS', () => {
    for (const raw of [
      'ftp://example.com/x',
      'file:///etc/passwd',
      'https://user:pw@example.com/',
      'not a url',
      `https://e.com/${'a'.repeat(2048)}`,
    ]) {
      expect(() => parseWebhookUrl(raw)).toThrow(WebhookUrlRefused);
    }
    expect(parseWebhookUrl('https://hooks.example.com/in?x=1').hostname).toBe('hooks.example.com');
  });

  it('checks every resolved address, and the numeric and bracketed literal forms', async () => {
    const resolver = async (host: string) =>
      host === 'mixed.example'
        ? [
            { address: '93.184.215.14', family: 4 as const },
            { address: '10.0.0.5', family: 4 as const },
          ]
        : [{ address: '93.184.215.14', family: 4 as const }];
    await expect(
      resolveWebhookTarget(new URL('https://mixed.example/'), false, { resolve: resolver }),
    ).rejects.toThrow(/10\.0\.0\.5/);
    await expect(
      resolveWebhookTarget(new URL('https://ok.example/'), false, { resolve: resolver }),
    ).resolves.toEqual({ address: '93.184.215.14', family: 4 });
    await expect(
      resolveWebhookTarget(new URL('http://2130706433/'), false, { resolve: resolver }),
    ).rejects.toThrow(WebhookUrlRefused);
    await expect(
      resolveWebhookTarget(new URL('http://[::ffff:127.0.0.1]/'), false, { resolve: resolver }),
    ).rejects.toThrow(WebhookUrlRefused);
    await expect(
      resolveWebhookTarget(new URL('http://[::127.0.0.1]/'), false, { resolve: resolver }),
    ).rejects.toThrow(WebhookUrlRefused);
    await expect(
      resolveWebhookTarget(new URL('http://[64:ff9b::169.254.169.254]/'), false, { resolve: resolver }),
    ).rejects.toThrow(WebhookUrlRefused);
    const sixToFour = async () => [{ address: '2002:a9fe:a9fe::1', family: 6 as const }];
    await expect(
      resolveWebhookTarget(new URL('https://tunnel.example/'), false, { resolve: sixToFour }),
    ).rejects.toThrow(/2002:a9fe:a9fe::1/);
    await expect(
      resolveWebhookTarget(new URL('http://[::1]:8080/'), true, { resolve: resolver }),
    ).resolves.toEqual({ address: '::1', family: 6 });
  });

  it('bounds the lookup: a resolver slower than timeoutMs is given up on, and the URL refused for now', async () => {
    let calls = 0;
    const hung = (host: string) => {
      calls += 1;
      return new Promise<Array<{ address: string; family: 4 }>>((settle) =>
        setTimeout(
          () => settle([{ address: '93.184.215.14', family: 4 }]),
          host === 'slow.example' ? 10_000 : 5,
        ).unref(),
      );
    };
    const started = Date.now();
    await expect(
      resolveWebhookTarget(new URL('https://slow.example/'), false, { resolve: hung, timeoutMs: 50 }),
    ).rejects.toThrow(new WebhookUrlRefused('url host slow.example did not resolve within 50 ms'));
    expect(Date.now() - started).toBeLessThan(5000);
    // A resolver within the bound is unaffected; literals never ask it.
    await expect(
      resolveWebhookTarget(new URL('https://quick.example/'), false, { resolve: hung, timeoutMs: 1000 }),
    ).resolves.toEqual({ address: '93.184.215.14', family: 4 });
    await expect(
      resolveWebhookTarget(new URL('https://93.184.215.14/'), false, { resolve: hung, timeoutMs: 1 }),
    ).resolves.toEqual({ address: '93.184.215.14', family: 4 });
    expect(calls).toBe(2);
  });

  it('applies a default bound when none is given', async () => {
    jest.useFakeTimers();
    try {
      const never = () => new Promise<never>(() => undefined);
      const outcome = resolveWebhookTarget(new URL('https://never.example/'), true, { resolve: never });
      const settled = expect(outcome).rejects.toThrow(
        `did not resolve within ${DEFAULT_LOOKUP_TIMEOUT_MS} ms`,
      );
      await jest.advanceTimersByTimeAsync(DEFAULT_LOOKUP_TIMEOUT_MS);
      await settled;
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a host that does not resolve', async () => {
    const failing = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(
      resolveWebhookTarget(new URL('https://nowhere.invalid/'), true, { resolve: failing }),
    ).rejects.toThrow(/does not resolve/);
  });
});
