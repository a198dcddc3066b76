/**
 * Which URLs a webhook may target. A webhook is a request the engine makes on a customer's
 * behalf from inside our network, so without this check it could reach internal services
 * (databases, metadata endpoints, admin ports). Every address a host name resolves to is
 * checked, at registration and again at delivery (the delivery connects only to the addresses
 * it checked, so a DNS answer that changes in between, "DNS rebinding", does not get through).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { WebhookUrlPolicy } from '../config';

export const MAX_URL_LENGTH = 2048;

/** Resolves a host name to every address it has (all families). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/** Not reachable on the public internet, or reserved: refused unless private URLs are allowed. */
const INTERNAL_RANGES: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved or broadcast'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  // Addresses that embed an IPv4 address are refused whole: they can reach any IPv4 host.
  ['::ffff:0:0', 96, 'ipv6', 'IPv4-mapped'],
  ['::', 96, 'ipv6', 'IPv4-compatible'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64'],
  ['64:ff9b:1::', 48, 'ipv6', 'NAT64 (local use)'],
  ['2002::', 16, 'ipv6', '6to4'],
  ['100::', 64, 'ipv6', 'discard-only'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['fc00::', 7, 'ipv6', 'unique-local'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const ranges = INTERNAL_RANGES.map(([network, prefix, family, label]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, family, label };
});

/** Why `address` is internal ("loopback", "private", …), or null for a public address. */
export function internalAddressKind(address: string): string | null {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  // Longest prefixes are listed after shorter overlapping ones (:: /128 vs ::/96), so take the first match.
  return ranges.find((range) => range.family === family && range.list.check(address, family))?.label ?? null;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/** Scheme, length, credentials and (for an IP literal) the address: everything but DNS. */
export function checkUrlShape(raw: string, policy: WebhookUrlPolicy): UrlCheck {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, message: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: 'must be an absolute URL such as https://example.com/webhooks' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, message: 'must be an https:// URL' };
  if (policy.requireHttps && url.protocol !== 'https:')
    return { ok: false, message: 'must use https (plain http is refused in production)' };
  // Credentials in a URL would be shown in every delivery listing; the signature authenticates us instead.
  if (url.username || url.password) return { ok: false, message: 'must not contain a user name or password' };
  if (url.hash) return { ok: false, message: 'must not contain a #fragment' };
  const host = hostOf(url);
  if (isIP(host) && !policy.allowPrivate) {
    const kind = internalAddressKind(host);
    if (kind) return { ok: false, message: `points at a ${kind} address (${host}); webhooks may only target public addresses` };
  }
  return { ok: true, url };
}

/** The URL's host without IPv6 brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Every address `host` resolves to, refused if any is internal (unless allowed). */
export async function checkHostAddresses(
  host: string,
  policy: WebhookUrlPolicy,
  resolve: Resolver = systemResolver,
): Promise<UrlCheck | null> {
  if (isIP(host)) return null;
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch {
    return { ok: false, message: `host ${host} could not be resolved` };
  }
  if (addresses.length === 0) return { ok: false, message: `host ${host} has no addresses` };
  if (policy.allowPrivate) return null;
  for (const { address } of addresses) {
    const kind = internalAddressKind(address);
    if (kind)
      return { ok: false, message: `host ${host} resolves to a ${kind} address (${address}); webhooks may only target public addresses` };
  }
  return null;
}

/** The full check used at registration: shape, then DNS. */
export async function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy, resolve: Resolver = systemResolver): Promise<UrlCheck> {
  const shape = checkUrlShape(raw, policy);
  if (!shape.ok) return shape;
  return (await checkHostAddresses(hostOf(shape.url), policy, resolve)) ?? shape;
}

export class InternalAddressError extends Error {
  readonly code = 'EWEBHOOKBLOCKED';
}

/**
 * A `lookup` for http.request: resolves, checks every address, and hands the socket only
 * checked addresses, so the connection goes exactly where the check said it may.
 */
export function guardedLookup(policy: WebhookUrlPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const family = typeof options === 'object' ? options.family : options;
        const wanted = family === 4 || family === 6 ? addresses.filter((entry) => entry.family === family) : addresses;
        const blocked = policy.allowPrivate ? undefined : wanted.find((entry) => internalAddressKind(entry.address));
        if (blocked) {
          const kind = internalAddressKind(blocked.address);
          callback(new InternalAddressError(`host ${hostname} resolves to a ${kind} address (${blocked.address}); refused`), '', 0);
        } else if (wanted.length === 0) {
          callback(Object.assign(new Error(`host ${hostname} has no addresses`), { code: 'ENOTFOUND' }), '', 0);
        } else if (typeof options === 'object' && options.all) {
          (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, wanted);
        } else {
          callback(null, wanted[0]!.address, wanted[0]!.family);
        }
      },
      (error: Error) => callback(error, '', 0),
    );
  };
}
