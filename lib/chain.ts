/** viem public clients per network, with RPC fallback in the order the registry lists URLs. */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  createPublicClient,
  defineChain,
  erc20Abi,
  fallback,
  http,
  parseAbi,
  serializeTransaction,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
} from 'viem';
import { nativeAssetOf, safeHead, type AssetDefinition, type NetworkDefinition, type NetworkRegistry } from '../domain/networks';

export function chainOf(network: NetworkDefinition): Chain {
  const native = nativeAssetOf(network);
  return defineChain({
    id: network.chainId,
    name: network.name,
    nativeCurrency: { name: native.name, symbol: native.symbol, decimals: native.decimals },
    rpcUrls: { default: { http: network.rpcUrls } },
  });
}

/** Where each RPC call's outcome goes (lib/metrics/rpc.ts counts them). */
export interface RpcObserver {
  observed(call: { network: string; method: string; outcome: RpcOutcome; seconds: number }): void;
}

export type RpcOutcome = 'ok' | 'timeout' | 'http' | 'rpc' | 'other';

/** A closed set of error classes, so a node's free-text message never becomes a label. */
export function rpcOutcome(error: unknown): RpcOutcome {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'HttpRequestError') return 'http';
  // A JSON-RPC error object from the node (a revert, a nonce too low, a refused transaction): viem names them by code.
  if (typeof (error as { code?: unknown } | undefined)?.code === 'number') return 'rpc';
  return 'other';
}

const tracer = trace.getTracer('payout-engine/chain');

/**
 * A transport that reports each call: a client span `rpc <method>` (a no-op without tracing) and the observer's
 * metrics. The params stay out of the span: they hold signed transactions and addresses, not needed to follow a trace.
 */
export function observedTransport(inner: Transport, network: string, observer?: RpcObserver): Transport {
  return (parameters) => {
    const transport = inner(parameters);
    type Request = typeof transport.request;
    const request = ((args: Parameters<Request>[0], options?: Parameters<Request>[1]) =>
      tracer.startActiveSpan(
        `rpc ${args.method}`,
        { kind: SpanKind.CLIENT, attributes: { 'rpc.system': 'jsonrpc', 'rpc.method': args.method, 'blockchain.network': network } },
        async (span) => {
          const started = process.hrtime.bigint();
          let outcome: RpcOutcome = 'ok';
          try {
            return await transport.request(args, options);
          } catch (error) {
            outcome = rpcOutcome(error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: `${outcome}: ${(error as Error).name}` });
            throw error;
          } finally {
            observer?.observed({ network, method: args.method, outcome, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
            span.end();
          }
        },
      )) as Request;
    return { ...transport, request };
  };
}

export class ChainClients {
  private readonly clients = new Map<string, PublicClient>();
  private readonly deployedTokens = new Set<string>();

  constructor(
    private readonly registry: NetworkRegistry,
    private readonly rpc?: RpcObserver,
  ) {}

  client(networkId: string): PublicClient {
    let client = this.clients.get(networkId);
    if (!client) {
      const network = this.registry.network(networkId);
      client = createPublicClient({
        chain: chainOf(network),
        // viem caches the block number for 4 s by default; confirmations must see every block.
        cacheTime: 0,
        // viem retries reads inside the fallback transport (3 times by default, whatever each http
        // transport says); once is enough here, since activities retry with their own backoff.
        transport: observedTransport(
          fallback(
            network.rpcUrls.map((url) => http(url, { timeout: 10_000, retryCount: 0 })),
            { retryCount: 1 },
          ),
          networkId,
          this.rpc,
        ),
      }) as PublicClient;
      this.clients.set(networkId, client);
    }
    return client;
  }

  /**
   * Whether an asset can be paid on its network: the native asset always, a token only where its address has code (a
   * typo in the networks file, or a token not deployed on that chain, has none: every read of it returns nothing).
   * A token found once is remembered: contract code does not go away.
   */
  async assetDeployed(networkId: string, asset: AssetDefinition): Promise<boolean> {
    if (asset.kind === 'native') return true;
    const key = `${networkId}:${asset.contractAddress!.toLowerCase()}`;
    if (this.deployedTokens.has(key)) return true;
    const code = await this.client(networkId).getCode({ address: asset.contractAddress! });
    if (!code || code === '0x') return false;
    this.deployedTokens.add(key);
    return true;
  }
}

/** The terminal failure of a payout (or a mass payout) in a token without code on its network. */
export const tokenNotDeployed = (networkId: string, asset: AssetDefinition) => ({
  code: 'simulation_reverted' as const,
  reason:
    `there is no contract at ${asset.symbol}'s address ${asset.contractAddress} on ${networkId}: ` +
    'check the token address in the networks file (NETWORKS_FILE); nothing was reserved or signed',
});

/** A wallet's balance of one asset at the latest block, in base units. */
export async function onChainBalance(chains: ChainClients, network: string, asset: AssetDefinition, wallet: Address): Promise<bigint> {
  const client = chains.client(network);
  if (asset.kind === 'native') return client.getBalance({ address: wallet });
  return client.readContract({ address: asset.contractAddress!, abi: erc20Abi, functionName: 'balanceOf', args: [wallet] });
}

/**
 * The newest block a payout may count as final at `head`: `confirmations` deep and, where the network names a
 * finality tag, no newer than the block the node reports as `safe` or `finalized`.
 */
export async function finalBlock(client: PublicClient, network: NetworkDefinition, head: bigint): Promise<bigint> {
  const deep = safeHead(head, network.confirmations);
  if (!network.finalityTag) return deep;
  const tagged = (await client.getBlock({ blockTag: network.finalityTag, includeTransactions: false })).number;
  return tagged < deep ? tagged : deep;
}

/** Current EIP-1559 fees, with the priority fee raised to the network's floor (the fee cap rises by as much). */
export async function currentFees(
  client: PublicClient,
  network: NetworkDefinition,
): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
  const estimate = await client.estimateFeesPerGas();
  const raise = network.minPriorityFeePerGas - estimate.maxPriorityFeePerGas;
  if (raise <= 0n) return { maxFeePerGas: estimate.maxFeePerGas, maxPriorityFeePerGas: estimate.maxPriorityFeePerGas };
  return { maxFeePerGas: estimate.maxFeePerGas + raise, maxPriorityFeePerGas: network.minPriorityFeePerGas };
}

/** OP-stack's GasPriceOracle predeploy: the same address on every OP-stack chain. */
export const GAS_PRICE_ORACLE: Address = '0x420000000000000000000000000000000000000F';
const gasPriceOracleAbi = parseAbi(['function getL1Fee(bytes _data) view returns (uint256)']);
/**
 * L1 fees move with Ethereum's (up to 12.5 % a block) between the quote and inclusion: half as much again is held.
 * The ledger books the receipt's real fee; the hold only has to cover it.
 */
const L1_FEE_HEADROOM_PERCENT = 50n;
/** The nonce is allocated only when signing; the largest one a wallet plausibly reaches keeps the quote an upper bound. */
const QUOTE_NONCE = 0xffffff;

export interface FeeQuoteCall {
  to: Address;
  value: bigint;
  data?: Hex;
  gas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/**
 * The most a transaction may cost its sender in the native asset: its gas limit at its fee cap, plus on OP-stack
 * chains the L1 data fee the chain's GasPriceOracle quotes for it (the call viem's op-stack `estimateL1Fee` makes:
 * `getL1Fee` over the unsigned EIP-1559 serialization), with headroom. Rounded up.
 */
export async function maxNetworkFee(client: PublicClient, network: NetworkDefinition, call: FeeQuoteCall): Promise<bigint> {
  return call.gas * call.maxFeePerGas + (await maxL1DataFee(client, network, call));
}

/** The L1 data fee part of maxNetworkFee: the oracle's quote with headroom, rounded up; 0 off OP-stack chains. */
export async function maxL1DataFee(client: PublicClient, network: NetworkDefinition, call: FeeQuoteCall): Promise<bigint> {
  if (network.l1DataFee !== 'op-stack') return 0n;
  const unsigned = serializeTransaction({ type: 'eip1559', chainId: network.chainId, nonce: QUOTE_NONCE, ...call });
  const l1 = await client.readContract({ address: GAS_PRICE_ORACLE, abi: gasPriceOracleAbi, functionName: 'getL1Fee', args: [unsigned] });
  return (l1 * (100n + L1_FEE_HEADROOM_PERCENT) + 99n) / 100n;
}
