/**
 * The fault-injecting RPC proxy against a real anvil: every fault kind as a viem client sees it,
 * the counters, and that a seed replays the same faults. Uses the runner's anvil (1 s blocks) when
 * ANVIL_RPC_URL is set, else starts its own (automine). Other tests share that anvil, so sends come
 * from fresh accounts funded with anvil_setBalance and mining settings stay untouched.
 */
import os from 'node:os';
import path from 'node:path';
import {
  BaseError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  fallback,
  http,
  HttpRequestError,
  keccak256,
  parseEther,
  TimeoutError,
  TransactionExecutionError,
  TransactionRejectedRpcError,
  type Chain,
  type Hex,
  type HttpTransportConfig,
  type PrivateKeyAccount,
  type PublicClient,
  type Transport,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { startAnvil, type AnvilChain } from '../../scripts/stack/anvil';
import { freePort } from '../../scripts/stack/process';
import { startRpcProxy, type Faults, type RpcProxy, type RpcProxyOptions } from './rpc-proxy';

let upstream: string;
let ownAnvil: AnvilChain | undefined;
let chain: Chain;
let direct: PublicClient;

async function startOwnAnvil(): Promise<AnvilChain> {
  const port = await freePort();
  const logFile = path.join(os.tmpdir(), `rpc-proxy-test-anvil-${port}.log`);
  return startAnvil({ port, chainId: 31337, logFile, log: () => undefined });
}

beforeAll(async () => {
  upstream = process.env.ANVIL_RPC_URL ?? (ownAnvil = await startOwnAnvil()).rpcUrl;
  const chainId = await createPublicClient({ transport: http(upstream) }).getChainId();
  chain = defineChain({
    id: chainId,
    name: 'anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [upstream] } },
  });
  direct = createPublicClient({ chain, transport: http(upstream), pollingInterval: 100, cacheTime: 0 }) as PublicClient;
});

afterAll(async () => {
  await ownAnvil?.stop();
});

const proxies: RpcProxy[] = [];
async function proxyFor(options: Omit<RpcProxyOptions, 'upstream'> = {}): Promise<RpcProxy> {
  const proxy = await startRpcProxy({ upstream, ...options });
  proxies.push(proxy);
  return proxy;
}

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

/** No retries by viem, so each call is exactly one request the proxy sees. */
function clientVia(proxy: RpcProxy, config: HttpTransportConfig = {}) {
  return createPublicClient({ chain, cacheTime: 0, transport: http(proxy.url, { retryCount: 0, timeout: 5_000, ...config }) });
}

async function fundedAccount(): Promise<PrivateKeyAccount> {
  const account = privateKeyToAccount(generatePrivateKey());
  await createTestClient({ chain, mode: 'anvil', transport: http(upstream) }).setBalance({
    address: account.address,
    value: parseEther('1'),
  });
  return account;
}

/** Transfers of 1 wei to itself with consecutive nonces, signed locally: sending them is the only RPC call left. */
async function signedTransfers(account: PrivateKeyAccount, count: number): Promise<Hex[]> {
  const firstNonce = await direct.getTransactionCount({ address: account.address, blockTag: 'pending' });
  const fees = await direct.estimateFeesPerGas();
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      account.signTransaction({
        chainId: chain.id,
        type: 'eip1559',
        to: account.address,
        value: 1n,
        gas: 21_000n,
        nonce: firstNonce + index,
        maxFeePerGas: fees.maxFeePerGas * 2n,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      }),
    ),
  );
}

async function rejection(promise: Promise<unknown>): Promise<BaseError> {
  const outcome = await promise.then(
    () => new Error('expected the call to fail, but it succeeded'),
    (error: unknown) => error,
  );
  if (outcome instanceof BaseError) return outcome;
  throw outcome;
}

const noFailures = { timeout: 0, serverError: 0, rateLimit: 0, lostSendResponse: 0, upstreamUnreachable: 0, refused: 0 };

describe('pass-through', () => {
  it('answers as the node does and counts every call and every raw transaction it forwarded', async () => {
    const proxy = await proxyFor();
    const client = clientVia(proxy);
    const account = await fundedAccount();

    expect(await client.getChainId()).toBe(chain.id);
    expect(await client.getBalance({ address: account.address })).toBe(parseEther('1'));
    const [raw] = await signedTransfers(account, 1);
    const hash = await client.sendRawTransaction({ serializedTransaction: raw! });
    expect(hash).toBe(keccak256(raw!));
    expect((await direct.waitForTransactionReceipt({ hash })).status).toBe('success');

    const stats = proxy.stats();
    for (const method of ['eth_chainId', 'eth_getBalance', 'eth_sendRawTransaction']) {
      expect(stats.methods[method]).toEqual({ received: 1, forwarded: 1, failed: noFailures });
    }
    expect(stats.sentTxHashes).toEqual([hash]);
    expect(stats.decisions.map((decision) => decision.fault)).toEqual([null, null, null]);
  });

  it('takes a JSON-RPC batch as one request: one decision for the whole batch, each call counted', async () => {
    const proxy = await proxyFor();
    const client = clientVia(proxy, { batch: true });
    const addresses = [0, 1, 2].map(() => privateKeyToAccount(generatePrivateKey()).address);

    expect(await Promise.all(addresses.map((address) => client.getBalance({ address })))).toEqual([0n, 0n, 0n]);
    expect(proxy.stats().decisions).toEqual([{ methods: ['eth_getBalance', 'eth_getBalance', 'eth_getBalance'], fault: null }]);

    proxy.setFaults({ serverErrorRate: 1 });
    const outcomes = await Promise.allSettled(addresses.map((address) => client.getBalance({ address })));
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(HttpRequestError) });
      expect((outcome as PromiseRejectedResult).reason.status).toBe(503);
    }
    const stats = proxy.stats();
    expect(stats.decisions).toHaveLength(2);
    expect(stats.methods['eth_getBalance']).toEqual({ received: 6, forwarded: 3, failed: { ...noFailures, serverError: 3 } });
  });
});

describe('injected faults', () => {
  it.each([502, 503] as const)(
    'HTTP %i reaches the caller as HttpRequestError with status and body; the node never sees it',
    async (status) => {
      const proxy = await proxyFor({ faults: { serverErrorRate: 1, serverErrorStatus: status } });

      const error = await rejection(clientVia(proxy).getBlockNumber());
      expect(error).toBeInstanceOf(HttpRequestError);
      expect((error as HttpRequestError).status).toBe(status);
      expect(error.details).toContain(`injected HTTP ${status}`);
      expect(proxy.stats().methods['eth_blockNumber']).toEqual({ received: 1, forwarded: 0, failed: { ...noFailures, serverError: 1 } });
    },
  );

  it('429 reaches the caller as HttpRequestError with status 429 and the Retry-After header', async () => {
    const proxy = await proxyFor({ faults: { rateLimitRate: 1, retryAfterSeconds: 7 } });

    const error = await rejection(clientVia(proxy).getBlockNumber());
    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as HttpRequestError).status).toBe(429);
    expect((error as HttpRequestError).headers?.get('retry-after')).toBe('7');
    expect(proxy.stats().methods['eth_blockNumber']?.failed.rateLimit).toBe(1);
  });

  it("a held request ends in viem's TimeoutError; with a short timeoutMs the proxy answers 504 instead", async () => {
    const proxy = await proxyFor({ faults: { timeoutRate: 1 } });

    const started = Date.now();
    const error = await rejection(clientVia(proxy, { timeout: 300 }).getBlockNumber());
    expect(error).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);

    proxy.setFaults({ timeoutRate: 1, timeoutMs: 200 });
    const late = await rejection(clientVia(proxy, { timeout: 5_000 }).getBlockNumber());
    expect(late).toBeInstanceOf(HttpRequestError);
    expect((late as HttpRequestError).status).toBe(504);
    expect(proxy.stats().methods['eth_blockNumber']).toEqual({ received: 2, forwarded: 0, failed: { ...noFailures, timeout: 2 } });
  });

  it('stop() ends requests still held, without waiting for timeoutMs', async () => {
    const proxy = await proxyFor({ faults: { timeoutRate: 1 } });
    const held = rejection(clientVia(proxy, { timeout: 10_000 }).getBlockNumber());
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    await proxy.stop();
    expect(await held).toBeInstanceOf(HttpRequestError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('applies faults only to the listed methods, and only those draw from the dice', async () => {
    const proxy = await proxyFor({ faults: { serverErrorRate: 1, methods: ['eth_getBalance'] } });
    const client = clientVia(proxy);

    expect(await client.getChainId()).toBe(chain.id);
    expect(await rejection(client.getBalance({ address: privateKeyToAccount(generatePrivateKey()).address }))).toBeInstanceOf(
      HttpRequestError,
    );
    expect(proxy.stats().decisions).toEqual([{ methods: ['eth_getBalance'], fault: 'serverError' }]);
  });
});

describe('lost send responses', () => {
  it.each(['drop', '503'] as const)(
    'lostResponse %s: the caller sees an error, but the node has the transaction, and a resend is refused as known',
    async (lostResponse) => {
      const proxy = await proxyFor({ faults: { loseSendResponseRate: 1, lostResponse } });
      const client = clientVia(proxy);
      const account = await fundedAccount();
      const [raw] = await signedTransfers(account, 1);
      const hash = keccak256(raw!);

      const error = await rejection(client.sendRawTransaction({ serializedTransaction: raw! }));
      expect(error).toBeInstanceOf(HttpRequestError);
      if (lostResponse === 'drop') expect(error.details).toBe('fetch failed');
      else expect((error as HttpRequestError).status).toBe(503);
      expect(proxy.stats().methods['eth_sendRawTransaction']).toEqual({
        received: 1,
        forwarded: 1,
        failed: { ...noFailures, lostSendResponse: 1 },
      });
      expect(proxy.stats().sentTxHashes).toEqual([hash]);
      expect((await direct.getTransaction({ hash })).from).toBe(account.address.toLowerCase());

      // What the engine's sendRaw does next: resend, hear "already imported" (pending) or "nonce too low" (mined).
      proxy.clearFaults();
      const resent = await rejection(client.sendRawTransaction({ serializedTransaction: raw! }));
      expect(resent).toBeInstanceOf(TransactionRejectedRpcError);
      expect(resent.details).toMatch(/already imported|nonce too low/);
      expect((await direct.waitForTransactionReceipt({ hash })).status).toBe('success');
      expect(new Set(proxy.stats().sentTxHashes)).toEqual(new Set([hash]));
    },
  );

  it("a wallet client's sendTransaction reports a lost answer as TransactionExecutionError; the transfer still lands", async () => {
    const proxy = await proxyFor({ faults: { loseSendResponseRate: 1 } });
    const account = await fundedAccount();
    const wallet = createWalletClient({ account, chain, transport: http(proxy.url, { retryCount: 0 }) });

    const error = await rejection(wallet.sendTransaction({ to: account.address, value: 1n }));
    expect(error).toBeInstanceOf(TransactionExecutionError);
    expect(error.walk((cause) => cause instanceof HttpRequestError)).toBeInstanceOf(HttpRequestError);
    const [hash] = proxy.stats().sentTxHashes;
    expect((await direct.waitForTransactionReceipt({ hash: hash! })).from).toBe(account.address.toLowerCase());
    // The faults only hit the send: nonce, gas and fee look-ups before it went through.
    expect(proxy.stats().decisions.filter((decision) => decision.fault !== null)).toEqual([
      { methods: ['eth_sendRawTransaction'], fault: 'lostSendResponse' },
    ]);
  });
});

describe('reordered sends', () => {
  it('nonces n, n+1, n+2 sent in order reach the node as n+2, n+1, n, and all mine', async () => {
    // Seed 25 draws reorder delays of about 550, 290 and 30 ms out of 1000: a full reversal.
    const proxy = await proxyFor({ seed: 25, faults: { reorderSends: true, maxReorderDelayMs: 1_000 } });
    const client = clientVia(proxy);
    const account = await fundedAccount();
    const raws = await signedTransfers(account, 3);
    const firstNonce = await direct.getTransactionCount({ address: account.address, blockTag: 'pending' });

    const sends: Promise<Hex>[] = [];
    for (const raw of raws) {
      sends.push(client.sendRawTransaction({ serializedTransaction: raw }));
      await new Promise((resolve) => setTimeout(resolve, 50)); // so they arrive at the proxy in nonce order
    }
    const hashes = await Promise.all(sends);

    expect(proxy.stats().sentTxHashes).toEqual([...hashes].reverse());
    const receipts = await Promise.all(hashes.map((hash) => direct.waitForTransactionReceipt({ hash })));
    expect(receipts.map((receipt) => receipt.status)).toEqual(['success', 'success', 'success']);
    expect(await direct.getTransactionCount({ address: account.address })).toBe(firstNonce + 3);
  });
});

describe('viem retrying on its own', () => {
  async function requestsSeen(faults: Partial<Faults>, transport: (url: string) => Transport) {
    const proxy = await proxyFor({ faults });
    const client = createPublicClient({ chain, cacheTime: 0, transport: transport(proxy.url) });
    await rejection(client.getBlockNumber());
    return proxy.stats().methods['eth_blockNumber']?.received;
  }

  it.each([
    ['http() with defaults', (url: string) => http(url, { timeout: 300 })],
    ["the engine's fallback([http(url, { retryCount: 0 })])", (url: string) => fallback([http(url, { timeout: 300, retryCount: 0 })])],
  ])('%s retries a failed read 3 times: 5xx, 429 and timeouts alike', async (_name, transport) => {
    expect(await requestsSeen({ serverErrorRate: 1 }, transport)).toBe(4);
    expect(await requestsSeen({ rateLimitRate: 1, retryAfterSeconds: 0 }, transport)).toBe(4);
    expect(await requestsSeen({ timeoutRate: 1 }, transport)).toBe(4);
  });

  it('waits as long as Retry-After says before each retry', async () => {
    const started = Date.now();
    expect(await requestsSeen({ rateLimitRate: 1, retryAfterSeconds: 1 }, (url) => http(url))).toBe(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
  });

  it('never retries eth_sendRawTransaction, whatever the transport says', async () => {
    const proxy = await proxyFor({ faults: { serverErrorRate: 1 } });
    const [raw] = await signedTransfers(privateKeyToAccount(generatePrivateKey()), 1);
    const client = createPublicClient({ chain, transport: fallback([http(proxy.url)]) });

    await rejection(client.sendRawTransaction({ serializedTransaction: raw! }));
    expect(proxy.stats().methods['eth_sendRawTransaction']?.received).toBe(1);
  });
});

describe('seeded dice', () => {
  const mixedFaults: Partial<Faults> = { timeoutRate: 0.15, timeoutMs: 20, serverErrorRate: 0.2, rateLimitRate: 0.2 };

  /** Sequential raw requests, so the arrival order (and therefore the draw order) is the same every run. */
  async function answersWith(seed: number | undefined): Promise<{ seed: number; statuses: number[]; faults: (string | null)[] }> {
    const proxy = await proxyFor({ seed, faults: mixedFaults });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await fetch(proxy.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'eth_chainId', params: [] }),
      });
      await response.text();
      statuses.push(response.status);
    }
    return { seed: proxy.seed, statuses, faults: proxy.stats().decisions.map((decision) => decision.fault) };
  }

  it('the same seed gives the same faults in the same order; another seed does not', async () => {
    const first = await answersWith(7);
    const again = await answersWith(7);
    const other = await answersWith(8);

    expect(again).toEqual(first);
    expect(other.statuses).not.toEqual(first.statuses);
    expect(new Set(first.statuses)).toEqual(new Set([200, 504, 503, 429]));
    expect(first.faults.filter((fault) => fault === null)).toHaveLength(first.statuses.filter((status) => status === 200).length);
  });

  it('picks and reports a random seed when none is given, which replays the run', async () => {
    const unseeded = await answersWith(undefined);
    expect(await answersWith(unseeded.seed)).toEqual(unseeded);
  });
});

describe('refused sends', () => {
  it('answers a send to a listed address with the node-style refusal and never forwards it; other sends pass', async () => {
    const account = await fundedAccount();
    const proxy = await proxyFor({ faults: { refuseSendsTo: [account.address], refusalMessage: 'exceeds block gas limit' } });
    const client = clientVia(proxy);
    const [toSelf] = await signedTransfers(account, 1);

    const error = await rejection(client.sendRawTransaction({ serializedTransaction: toSelf! }));
    expect(`${error.message}`).toContain('exceeds block gas limit');
    expect(proxy.stats().sentTxHashes).toEqual([]);
    expect(proxy.stats().methods.eth_sendRawTransaction!.failed.refused).toBe(1);
    expect(await direct.getTransaction({ hash: keccak256(toSelf!) }).catch(() => null)).toBeNull();

    proxy.setFaults({ refuseSendsTo: [privateKeyToAccount(generatePrivateKey()).address] });
    const hash = await client.sendRawTransaction({ serializedTransaction: toSelf! });
    expect(hash).toBe(keccak256(toSelf!));
    expect(proxy.stats().sentTxHashes).toEqual([hash]);
  });
});

describe('a lagging node', () => {
  it('answers transaction and receipt lookups with null while the node has them; other calls pass', async () => {
    const account = await fundedAccount();
    const proxy = await proxyFor();
    const client = clientVia(proxy);
    const [toSelf] = await signedTransfers(account, 1);
    const hash = await client.sendRawTransaction({ serializedTransaction: toSelf! });
    await direct.waitForTransactionReceipt({ hash });

    proxy.setFaults({ forgetTransactions: true });
    const lookups = (await Promise.all([
      fetch(proxy.url, {
        method: 'POST',
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getTransactionReceipt', params: [hash] }),
      }),
      fetch(proxy.url, {
        method: 'POST',
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_getTransactionByHash', params: [hash] }),
      }),
    ]).then((responses) => Promise.all(responses.map((response) => response.json())))) as { id: number; result: unknown }[];
    expect(lookups).toEqual([
      { jsonrpc: '2.0', id: 1, result: null },
      { jsonrpc: '2.0', id: 2, result: null },
    ]);
    expect(await client.getTransactionCount({ address: account.address })).toBe(1);

    proxy.clearFaults();
    expect((await client.getTransactionReceipt({ hash })).status).toBe('success');
  });
});
