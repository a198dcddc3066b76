/**
 * A fault-injecting JSON-RPC proxy for delivery-layer tests. It sits between a viem client (or
 * the engine's worker) and anvil and, following a plan the test changes at run time, times
 * requests out, answers 5xx or 429, loses the answer to a transaction the node accepted, or
 * holds sends so that consecutive nonces reach the node out of order. The dice are seeded, so a
 * failing run can be repeated with the seed it printed.
 */
import { setMaxListeners } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { keccak256, parseTransaction, type Address, type Hex } from 'viem';

export type FaultKind = 'timeout' | 'serverError' | 'rateLimit' | 'lostSendResponse';
/** Why a caller did not get the node's answer: an injected fault, or the node itself could not be reached. */
export type FailureKind = FaultKind | 'upstreamUnreachable' | 'refused';

export interface Faults {
  /** Share of requests held without an answer for `timeoutMs`, then answered 504. Never forwarded. */
  timeoutRate: number;
  /** Default 15 s: longer than viem's default 10 s, so the client's own timeout fires first. */
  timeoutMs: number;
  /** Share of requests answered `serverErrorStatus` with a plain-text body. Never forwarded. */
  serverErrorRate: number;
  serverErrorStatus: 500 | 502 | 503 | 504;
  /** Share of requests answered 429 with a Retry-After header. Never forwarded. */
  rateLimitRate: number;
  retryAfterSeconds: number;
  /** Share of sends (eth_sendRawTransaction, eth_sendTransaction) forwarded to the node whose answer is then lost. */
  loseSendResponseRate: number;
  /** How the answer is lost: the connection is dropped, or the caller gets a 503 instead. */
  lostResponse: 'drop' | '503';
  /** Hold every send for a random 0..maxReorderDelayMs before forwarding it (regardless of `methods`). */
  reorderSends: boolean;
  maxReorderDelayMs: number;
  /** Hold every request `methods` selects this long before forwarding it: a slow node (0: off). */
  delayMs: number;
  /**
   * eth_sendRawTransaction calls whose transaction goes to one of these addresses are answered with the JSON-RPC
   * error a node gives when it refuses a transaction (`refusalMessage`), and never forwarded.
   */
  refuseSendsTo: readonly Address[];
  refusalMessage: string;
  /**
   * A lagging node behind a load balancer: eth_getTransactionByHash and eth_getTransactionReceipt answer `null`
   * (never forwarded), while every other call reaches the up-to-date node.
   */
  forgetTransactions: boolean;
  /** Only requests calling one of these methods get faults (a batch if any call in it does); undefined = all. */
  methods: readonly string[] | undefined;
}

const NO_FAULTS: Faults = {
  timeoutRate: 0,
  timeoutMs: 15_000,
  serverErrorRate: 0,
  serverErrorStatus: 503,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  loseSendResponseRate: 0,
  lostResponse: 'drop',
  reorderSends: false,
  maxReorderDelayMs: 1_000,
  delayMs: 0,
  refuseSendsTo: [],
  refusalMessage: 'exceeds block gas limit',
  forgetTransactions: false,
  methods: undefined,
};

export interface MethodStats {
  /** Calls received; a batch counts each call in it. */
  received: number;
  /** Calls that reached the node, including sends whose answer was then lost. */
  forwarded: number;
  failed: Record<FailureKind, number>;
}

/** What the dice said for one request (or batch) the plan applied to. */
export interface FaultDecision {
  methods: string[];
  fault: FaultKind | null;
}

export interface RpcProxyStats {
  methods: Record<string, MethodStats>;
  /** keccak256 of every raw transaction forwarded to the node, in the order it got there; repeats stay. */
  sentTxHashes: Hex[];
  /** In arrival order; the same seed and the same requests give the same list. */
  decisions: FaultDecision[];
}

export interface RpcProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The seed in use (random unless given); print it when a test fails. */
  seed: number;
  /** Replaces the whole plan: fields left out are back to no fault. Applies to requests arriving from now on. */
  setFaults(faults: Partial<Faults>): void;
  clearFaults(): void;
  stats(): RpcProxyStats;
  resetStats(): void;
  /** Closes every connection, including requests still held; they are never answered. */
  stop(): Promise<void>;
}

export interface RpcProxyOptions {
  /** The node's JSON-RPC URL, e.g. anvil's. */
  upstream: string;
  /** Omitted = a free port the OS picks. */
  port?: number;
  seed?: number;
  faults?: Partial<Faults>;
}

const SEND_METHODS = new Set(['eth_sendRawTransaction', 'eth_sendTransaction']);
const UNPARSEABLE = '(unparseable)';
const FORGOTTEN_METHODS = new Set(['eth_getTransactionByHash', 'eth_getTransactionReceipt']);

interface RpcCall {
  method: string;
  params: unknown[];
  id?: unknown;
}

export async function startRpcProxy(options: RpcProxyOptions): Promise<RpcProxy> {
  const seed = options.seed ?? randomSeed();
  // Separate streams, so turning reordering on does not change which requests fail.
  const faultDice = seededRandom(seed);
  const delayDice = seededRandom(seed ^ 0x9e3779b9);
  let plan = validPlan(options.faults ?? {});
  let stats = emptyStats();
  const stopping = new AbortController();
  // Every request in flight listens to it; a benchmark keeps thousands in flight.
  setMaxListeners(0, stopping.signal);

  function count(methods: readonly string[], update: (entry: MethodStats) => void): void {
    for (const method of methods) {
      update((stats.methods[method] ??= emptyMethodStats()));
    }
  }

  /** One draw per request the plan applies to; its bands (timeout, 5xx, 429, lost send) decide at most one fault. */
  function decideFault(current: Faults, methods: string[]): FaultKind | null {
    if (current.methods && !methods.some((method) => current.methods!.includes(method))) return null;
    const draw = faultDice();
    const bands: [FaultKind, number][] = [
      ['timeout', current.timeoutRate],
      ['serverError', current.serverErrorRate],
      ['rateLimit', current.rateLimitRate],
      ['lostSendResponse', methods.some(isSend) ? current.loseSendResponseRate : 0],
    ];
    let upper = 0;
    let fault: FaultKind | null = null;
    for (const [kind, rate] of bands) {
      upper += rate;
      if (draw < upper) {
        fault = kind;
        break;
      }
    }
    stats.decisions.push({ methods, fault });
    return fault;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const calls = parseCalls(body);
    const methods = calls.map((call) => call.method);
    const current = plan; // a plan changed mid-request does not apply to it
    count(methods, (entry) => entry.received++);

    const fault = decideFault(current, methods);
    const fail = (kind: FailureKind) => count(methods, (entry) => entry.failed[kind]++);
    if (fault === 'timeout') {
      fail('timeout');
      return holdUnanswered(response, current.timeoutMs, stopping.signal);
    }
    if (fault === 'serverError') {
      fail('serverError');
      return answer(response, current.serverErrorStatus, {}, `rpc-proxy: injected HTTP ${current.serverErrorStatus}`);
    }
    if (fault === 'rateLimit') {
      fail('rateLimit');
      return answer(response, 429, { 'retry-after': String(current.retryAfterSeconds) }, 'rpc-proxy: injected HTTP 429, slow down');
    }

    if (calls.some((call) => refused(current, call))) {
      fail('refused');
      const answers = calls.map((call) => ({ jsonrpc: '2.0', id: call.id, error: { code: -32000, message: current.refusalMessage } }));
      return answer(response, 200, { 'content-type': 'application/json' }, JSON.stringify(calls.batch ? answers : answers[0]));
    }
    if (current.forgetTransactions && calls.every((call) => FORGOTTEN_METHODS.has(call.method))) {
      const answers = calls.map((call) => ({ jsonrpc: '2.0', id: call.id, result: null }));
      return answer(response, 200, { 'content-type': 'application/json' }, JSON.stringify(calls.batch ? answers : answers[0]));
    }
    if (current.delayMs > 0 && (!current.methods || methods.some((method) => current.methods!.includes(method)))) {
      await sleep(current.delayMs, undefined, { signal: stopping.signal });
    }
    if (current.reorderSends && methods.some(isSend)) {
      await sleep(Math.floor(delayDice() * current.maxReorderDelayMs), undefined, { signal: stopping.signal });
    }
    let upstream: { status: number; contentType: string; text: string };
    try {
      upstream = await forward(options.upstream, body, stopping.signal);
    } catch (error) {
      if (stopping.signal.aborted) throw error;
      fail('upstreamUnreachable');
      return answer(response, 502, {}, `rpc-proxy: upstream ${options.upstream} unreachable: ${(error as Error).message}`);
    }
    count(methods, (entry) => entry.forwarded++);
    stats.sentTxHashes.push(...rawTransactionHashes(calls));

    if (fault === 'lostSendResponse') {
      fail('lostSendResponse');
      if (current.lostResponse === 'drop') return void response.destroy();
      return answer(response, 503, {}, 'rpc-proxy: injected HTTP 503 (the node did get the request)');
    }
    answer(response, upstream.status, { 'content-type': upstream.contentType }, upstream.text);
  }

  const server = http.createServer((request, response) => {
    // A stop, or a client gone while its request was held, ends up here: nobody to answer.
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    seed,
    setFaults(faults) {
      plan = validPlan(faults);
    },
    clearFaults() {
      plan = validPlan({});
    },
    stats: () => structuredClone(stats),
    resetStats() {
      stats = emptyStats();
    },
    async stop() {
      stopping.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function validPlan(faults: Partial<Faults>): Faults {
  const plan = { ...NO_FAULTS, ...faults };
  const rates = [plan.timeoutRate, plan.serverErrorRate, plan.rateLimitRate, plan.loseSendResponseRate];
  if (rates.some((rate) => !(rate >= 0 && rate <= 1)))
    throw new Error(`rpc-proxy: fault rates must be within 0..1, got ${rates.join(', ')}`);
  // One draw decides at most one fault per request, so the rates share the unit interval.
  if (rates.reduce((sum, rate) => sum + rate, 0) > 1 + 1e-9)
    throw new Error(`rpc-proxy: fault rates add up to more than 1: ${rates.join(' + ')}`);
  return plan;
}

function emptyStats(): RpcProxyStats {
  return { methods: {}, sentTxHashes: [], decisions: [] };
}

function emptyMethodStats(): MethodStats {
  return {
    received: 0,
    forwarded: 0,
    failed: { timeout: 0, serverError: 0, rateLimit: 0, lostSendResponse: 0, upstreamUnreachable: 0, refused: 0 },
  };
}

function isSend(method: string): boolean {
  return SEND_METHODS.has(method);
}

/** Calls of a single request or a batch; a body that is not JSON-RPC is still forwarded, so the node can refuse it. */
function parseCalls(body: string): RpcCall[] & { batch?: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [{ method: UNPARSEABLE, params: [] }];
  }
  const calls: RpcCall[] & { batch?: boolean } = (Array.isArray(parsed) ? parsed : [parsed]).map((call) => {
    const { method, params, id } = (call ?? {}) as { method?: unknown; params?: unknown; id?: unknown };
    return { method: typeof method === 'string' ? method : UNPARSEABLE, params: Array.isArray(params) ? params : [], id: id ?? null };
  });
  calls.batch = Array.isArray(parsed);
  return calls;
}

/** A send the plan says the node refuses: its transaction's recipient is on `refuseSendsTo`. */
function refused(plan: Faults, call: RpcCall): boolean {
  if (call.method !== 'eth_sendRawTransaction' || typeof call.params[0] !== 'string' || plan.refuseSendsTo.length === 0) return false;
  const to = parseTransaction(call.params[0] as Hex).to?.toLowerCase();
  return plan.refuseSendsTo.some((address) => address.toLowerCase() === to);
}

function rawTransactionHashes(calls: RpcCall[]): Hex[] {
  return calls
    .filter((call) => call.method === 'eth_sendRawTransaction' && typeof call.params[0] === 'string')
    .map((call) => keccak256(call.params[0] as Hex));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function forward(upstream: string, body: string, signal: AbortSignal) {
  const response = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
  return { status: response.status, contentType: response.headers.get('content-type') ?? 'application/json', text: await response.text() };
}

/** Holds the request until `ms` passed (then 504), the client gave up (its own timeout), or the proxy stops. */
async function holdUnanswered(response: ServerResponse, ms: number, stopping: AbortSignal): Promise<void> {
  const clientGone = new AbortController();
  response.once('close', () => clientGone.abort());
  await sleep(ms, undefined, { signal: AbortSignal.any([clientGone.signal, stopping]) });
  answer(response, 504, {}, `rpc-proxy: injected timeout, no answer for ${ms} ms`);
}

function answer(response: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (response.destroyed || response.writableEnded) return;
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** mulberry32: tiny and plenty for test dice; the same seed gives the same sequence. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
