/** viem public clients per network, with RPC fallback in the order the registry lists URLs. */
import { createPublicClient, defineChain, erc20Abi, fallback, http, type Address, type Chain, type PublicClient } from 'viem';
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

export class ChainClients {
  private readonly clients = new Map<string, PublicClient>();

  constructor(private readonly registry: NetworkRegistry) {}

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
        transport: fallback(
          network.rpcUrls.map((url) => http(url, { timeout: 10_000, retryCount: 0 })),
          { retryCount: 1 },
        ),
      }) as PublicClient;
      this.clients.set(networkId, client);
    }
    return client;
  }
}

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
