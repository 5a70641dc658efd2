import { isForbiddenAddress, parseWebhookUrl, resolveWebhookTarget, WebhookUrlRefused } from './url-guard';

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
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('accepts public %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it('refuses non-http schemes, credentials and garbage before any DNS', () => {
    for (const raw of ['ftp://example.com/x', 'file:///etc/passwd', 'https://user:pw@example.com/', 'not a url', `https://e.com/${'a'.repeat(2048)}`]) {
      expect(() => parseWebhookUrl(raw)).toThrow(WebhookUrlRefused);
    }
    expect(parseWebhookUrl('https://hooks.example.com/in?x=1').hostname).toBe('hooks.example.com');
  });

  it('checks every resolved address, and the numeric and bracketed literal forms', async () => {
    const resolver = async (host: string) =>
      host === 'mixed.example' ? [{ address: '93.184.215.14', family: 4 as const }, { address: '10.0.0.5', family: 4 as const }] : [{ address: '93.184.215.14', family: 4 as const }];
    await expect(resolveWebhookTarget(new URL('https://mixed.example/'), false, resolver)).rejects.toThrow(/10\.0\.0\.5/);
    await expect(resolveWebhookTarget(new URL('https://ok.example/'), false, resolver)).resolves.toEqual({ address: '93.184.215.14', family: 4 });
    await expect(resolveWebhookTarget(new URL('http://2130706433/'), false, resolver)).rejects.toThrow(WebhookUrlRefused);
    await expect(resolveWebhookTarget(new URL('http://[::ffff:127.0.0.1]/'), false, resolver)).rejects.toThrow(WebhookUrlRefused);
    await expect(resolveWebhookTarget(new URL('http://[::1]:8080/'), true, resolver)).resolves.toEqual({ address: '::1', family: 6 });
  });

  it('refuses a host that does not resolve', async () => {
    const failing = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(resolveWebhookTarget(new URL('https://nowhere.invalid/'), true, failing)).rejects.toThrow(/does not resolve/);
  });
});
