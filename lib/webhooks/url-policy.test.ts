import http from 'node:http';
import type { LookupAddress } from 'node:dns';
import { webhookSettingsFromEnv } from '../config';
import { checkUrlShape, checkWebhookUrl, guardedLookup, internalAddressKind, type Resolver } from './url-policy';

const production = { requireHttps: true, allowPrivate: false };
const development = { requireHttps: false, allowPrivate: true };
const devNoPrivate = { requireHttps: false, allowPrivate: false };

/** A fixed DNS answer per host (no network in unit tests). */
const resolver =
  (answers: Record<string, string[]>): Resolver =>
  async (host) => {
    const addresses = answers[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('internalAddressKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved or broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['fd00::1', 'unique-local'],
    ['fc12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['64:ff9b::a00:1', 'NAT64'],
    ['2002:7f00:1::', '6to4'],
  ])('%s is %s', (address, kind) => {
    expect(internalAddressKind(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])(
    '%s is public',
    (address) => {
      expect(internalAddressKind(address)).toBeNull();
    },
  );
});

describe('checkUrlShape', () => {
  it('requires https in production, allows http in development', () => {
    expect(checkUrlShape('http://example.com/hook', production)).toEqual({
      ok: false,
      message: 'must use https (plain http is refused in production)',
    });
    expect(checkUrlShape('http://example.com/hook', development).ok).toBe(true);
  });

  it('refuses other schemes, relative URLs, credentials, fragments and overlong URLs', () => {
    expect(checkUrlShape('ftp://example.com/', development)).toMatchObject({ ok: false, message: 'must be an https:// URL' });
    expect(checkUrlShape('/hooks', development)).toMatchObject({ ok: false, message: expect.stringMatching(/absolute URL/) });
    expect(checkUrlShape('https://user:pw@example.com/', development)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/user name or password/),
    });
    expect(checkUrlShape('https://example.com/#x', development)).toMatchObject({ ok: false, message: expect.stringMatching(/fragment/) });
    expect(checkUrlShape(`https://example.com/${'a'.repeat(2048)}`, development)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/2048/),
    });
  });

  it('refuses internal IP literals in every spelling unless private URLs are allowed', () => {
    for (const url of [
      'https://127.0.0.1/hook',
      'https://127.1/hook',
      'https://2130706433/hook',
      'https://0x7f.0.0.1/hook',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[fd00::1]/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://0.0.0.0:8080/',
    ]) {
      expect(checkUrlShape(url, production)).toMatchObject({ ok: false, message: expect.stringMatching(/address .*public addresses/) });
      expect(checkUrlShape(url.replace('https:', 'http:'), development).ok).toBe(true);
    }
  });
});

describe('checkWebhookUrl', () => {
  const dns = resolver({
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'sneaky.example.com': ['93.184.216.34', '10.0.0.7'],
    'internal.example.com': ['fd12::5'],
    localhost: ['127.0.0.1', '::1'],
  });

  it('accepts a host whose every address is public', async () => {
    const checked = await checkWebhookUrl('https://Hooks.Example.com/payouts?x=1', production, dns);
    expect(checked.ok && checked.url.href).toBe('https://hooks.example.com/payouts?x=1');
  });

  it('refuses a host with any internal address, naming it', async () => {
    expect(await checkWebhookUrl('https://sneaky.example.com/', production, dns)).toEqual({
      ok: false,
      message: 'host sneaky.example.com resolves to a private address (10.0.0.7); webhooks may only target public addresses',
    });
    expect(await checkWebhookUrl('https://internal.example.com/', production, dns)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/unique-local/),
    });
    expect(await checkWebhookUrl('https://localhost/', production, dns)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/loopback/),
    });
    expect(await checkWebhookUrl('http://localhost:3000/', devNoPrivate, dns)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/loopback/),
    });
  });

  it('refuses a host that does not resolve, even in development', async () => {
    expect(await checkWebhookUrl('https://nowhere.invalid/', development, dns)).toEqual({
      ok: false,
      message: 'host nowhere.invalid could not be resolved',
    });
  });

  it('allows internal hosts when private URLs are allowed (development)', async () => {
    expect((await checkWebhookUrl('http://localhost:3000/hook', development, dns)).ok).toBe(true);
  });
});

describe('guardedLookup (delivery time, what the socket connects to)', () => {
  const lookupOnce = (lookup: ReturnType<typeof guardedLookup>, host: string, all: boolean) =>
    new Promise<{ error: Error | null; result: unknown }>((resolve) => {
      lookup(host, { all }, (error: Error | null, address: unknown, family?: number) =>
        resolve({ error, result: all ? address : { address, family } }),
      );
    });

  it('hands over the checked addresses only when all are public', async () => {
    const lookup = guardedLookup(production, resolver({ 'hooks.example.com': ['93.184.216.34', '2606:4700::1'] }));
    expect(await lookupOnce(lookup, 'hooks.example.com', true)).toEqual({
      error: null,
      result: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:4700::1', family: 6 },
      ],
    });
    expect(await lookupOnce(lookup, 'hooks.example.com', false)).toEqual({ error: null, result: { address: '93.184.216.34', family: 4 } });
  });

  it('fails the connection when the name now resolves to an internal address (DNS rebinding)', async () => {
    const lookup = guardedLookup(production, resolver({ 'hooks.example.com': ['127.0.0.1'] }));
    const { error } = await lookupOnce(lookup, 'hooks.example.com', true);
    expect(error?.message).toBe('host hooks.example.com resolves to a loopback address (127.0.0.1); refused');
  });

  it('stops a real request before it connects', async () => {
    const lookup = guardedLookup(production, resolver({ 'rebound.example.com': ['127.0.0.1'] }));
    const error = await new Promise<Error>((resolve) => {
      const request = http.request('http://rebound.example.com:9/', { lookup, agent: false });
      request.on('error', resolve);
      request.end();
    });
    expect(error.message).toMatch(/resolves to a loopback address/);
  });
});

describe('the policy from the environment', () => {
  it('requires https and public addresses in production unless WEBHOOK_ALLOW_PRIVATE_URLS says otherwise; development allows both', () => {
    expect(webhookSettingsFromEnv({ NODE_ENV: 'production' }).urlPolicy).toEqual({ requireHttps: true, allowPrivate: false });
    expect(webhookSettingsFromEnv({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }).urlPolicy).toEqual({
      requireHttps: true,
      allowPrivate: true,
    });
    expect(webhookSettingsFromEnv({}).urlPolicy).toEqual({ requireHttps: false, allowPrivate: true });
    expect(webhookSettingsFromEnv({ NODE_ENV: 'development', WEBHOOK_ALLOW_PRIVATE_URLS: 'false' }).urlPolicy).toEqual({
      requireHttps: false,
      allowPrivate: false,
    });
    expect(() => webhookSettingsFromEnv({ WEBHOOK_ALLOW_PRIVATE_URLS: 'yes' })).toThrow(
      'WEBHOOK_ALLOW_PRIVATE_URLS must be true or false, got "yes"',
    );
  });

  it('defaults to a 3-day retry window and a 10 s timeout', () => {
    expect(webhookSettingsFromEnv({})).toMatchObject({ maxAgeMs: 3 * 24 * 3_600_000, timeoutMs: 10_000, backoffBaseMs: 30_000 });
    expect(webhookSettingsFromEnv({ WEBHOOK_MAX_AGE_MS: '8000' }).maxAgeMs).toBe(8_000);
  });
});
