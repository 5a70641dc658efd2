import { parseWebhookUrl, resolveWebhookTarget, WebhookUrlRefused } from './url-guard';

/**
 * SSRF spellings (issue 14: 110 of them were tried against the API): every way of writing an
 * internal or special-purpose address in a webhook URL must be refused, whether the URL parser
 * canonicalises it into an IP literal or DNS answers it. Each case goes through exactly what a
 * subscription does: parse, resolve, check.
 */

/** IPv4 targets an attacker aims at, one per refused range. */
const IPV4_TARGETS = [
  '127.0.0.1',
  '127.1.2.3',
  '0.0.0.0',
  '10.0.0.1',
  '172.16.0.1',
  '192.168.0.1',
  '169.254.169.254',
  '100.64.0.1',
  '192.0.0.1',
  '192.0.2.1',
  '198.51.100.1',
  '203.0.113.1',
  '192.88.99.1',
  '198.18.0.1',
  '224.0.0.1',
  '240.0.0.1',
  '255.255.255.255',
];

const octets = (ip: string) => ip.split('.').map(Number);
const asInteger = (ip: string) => octets(ip).reduce((n, o) => n * 256 + o, 0);

/** The spellings WHATWG URL parsing turns back into the dotted address. */
const SPELLINGS: Array<[string, (ip: string) => string]> = [
  ['dotted', (ip) => ip],
  ['decimal integer', (ip) => String(asInteger(ip))],
  ['hex integer', (ip) => `0x${asInteger(ip).toString(16)}`],
  [
    'octal octets',
    (ip) =>
      octets(ip)
        .map((o) => `0${o.toString(8)}`)
        .join('.'),
  ],
  [
    'hex octets',
    (ip) =>
      octets(ip)
        .map((o) => `0x${o.toString(16)}`)
        .join('.'),
  ],
  ['two parts', (ip) => `${octets(ip)[0]}.${asInteger(ip) % 2 ** 24}`],
  ['IPv4-mapped IPv6', (ip) => `[::ffff:${ip}]`],
];

const hostCases: Array<[string, string]> = IPV4_TARGETS.flatMap((ip) =>
  SPELLINGS.map(([how, spell]) => [`${ip} as ${how}`, `http://${spell(ip)}/hook`] as [string, string]),
);

const ipv6Cases: Array<[string, string]> = [
  '[::1]',
  '[0:0:0:0:0:0:0:1]',
  '[::]',
  '[::ffff:7f00:1]',
  '[::ffff:0:7f00:1]',
  '[::127.0.0.1]',
  '[::7f00:1]',
  '[64:ff9b::127.0.0.1]',
  '[64:ff9b::a9fe:a9fe]',
  '[64:ff9b:1::808:808]',
  '[2002:7f00:1::1]',
  '[2002:a9fe:a9fe::]',
  '[fe80::1]',
  '[fe80::a9fe:a9fe]',
  '[fd00:ec2::254]',
  '[fc00::1]',
  '[fec0::1]',
  '[ff02::1]',
  '[2001::1]',
  '[2001:db8::1]',
  '[2001:db8:85a3::8a2e:370:7334]',
  '[100::1]',
  '[2001:10::1]',
  '[2001:2::1]',
  '[3fff::1]',
  '[::ffff:192.0.2.1]',
  '[::FFFF:127.0.0.1]',
  '[0000:0000:0000:0000:0000:ffff:7f00:0001]',
].map((host) => [`${host}`, `https://${host}:8443/x`]);

/** Names whose DNS answer is internal (rebinding services, metadata aliases, AAAA-only hosts). */
const DNS: Record<string, string[]> = {
  'localhost.': ['127.0.0.1', '::1'],
  'localtest.me': ['127.0.0.1'],
  '10.0.0.1.nip.io': ['10.0.0.1'],
  'metadata.google.internal': ['169.254.169.254'],
  'rebind.example': ['93.184.215.14', '127.0.0.1'],
  'v6only.example': ['fd12:3456::1'],
  'mapped.example': ['::ffff:10.1.2.3'],
  'docs.example': ['203.0.113.9'],
};
const dnsCases: Array<[string, string]> = Object.keys(DNS).map((name) => [name, `http://${name}/hook`]);

const resolve = async (host: string) => {
  const answers = DNS[host];
  if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return answers.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
};

const ALL = [...hostCases, ...ipv6Cases, ...dnsCases];

describe('webhook URL guard: SSRF spellings', () => {
  it('covers at least the 110 spellings of the report', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(110);
  });

  it.each(ALL)('refuses %s (%s) because of the address it reaches', async (_name, raw) => {
    const refusal = await resolveWebhookTarget(parseWebhookUrl(raw), false, { resolve }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(WebhookUrlRefused);
    // Refused for the address, not because a name failed to resolve.
    expect((refusal as Error).message).toMatch(/is not a public unicast address/);
  });

  it('accepts the same spellings of a public address', async () => {
    for (const [, spell] of SPELLINGS) {
      const url = parseWebhookUrl(`http://${spell('8.8.8.8')}/hook`);
      await expect(resolveWebhookTarget(url, false, { resolve })).resolves.toMatchObject({
        address: expect.stringMatching(/^(::ffff:808:808|8\.8\.8\.8)$/),
      });
    }
  });

  it('lets every one through with WEBHOOKS_ALLOW_PRIVATE (tests and demos)', async () => {
    for (const [, raw] of ALL) {
      await expect(resolveWebhookTarget(parseWebhookUrl(raw), true, { resolve })).resolves.toBeDefined();
    }
  });
});
