/**
 * The registry of networks and the assets payable on each: one source that the API's
 * validation, `GET /v1/currencies`, the activities and the worker all read.
 * Pure data plus lookups; where the values come from (env, files) is lib/config.ts.
 */
import { getAddress, isAddress, type Address } from 'viem';
import type { FeeCeiling } from './fees';

export type AssetKind = 'native' | 'erc20';

export interface AssetDefinition {
  symbol: string;
  name: string;
  decimals: number;
  kind: AssetKind;
  /** ERC-20 contract; absent for the native asset. */
  contractAddress?: Address;
  /** Payouts of at least this many base units need an approval (minimal policy; see domain/approval.ts). */
  approvalThresholdUnits: bigint;
}

export interface NetworkDefinition {
  id: string;
  name: string;
  chainId: number;
  /** Tried in order; later URLs are fallbacks. */
  rpcUrls: string[];
  /** Blocks on top of (and including) the transaction's block before a payout is final. */
  confirmations: number;
  /** How often the worker polls for receipts and confirmations. */
  pollIntervalMs: number;
  /** A transaction not included after this long is replaced with higher fees (same nonce). */
  replaceAfterMs: number;
  /** A transaction the node no longer knows (dropped from its mempool) is sent again after this long. */
  rebroadcastAfterMs: number;
  /** Stuck transactions are bumped up to here; then the payout waits for a person (NeedsAttention = fee_ceiling). */
  feeCeiling: FeeCeiling;
  /**
   * How many nonces past the chain's may be sent at once: a transaction whose nonce is further ahead waits, signed,
   * until the chain catches up. Real nodes keep a small window per sender (geth by default: 16 executable and 64
   * queued per account) and evict or refuse the rest; 16 is the safe choice there. The local preset (anvil, which has
   * no such limit) uses 64 unless IN_FLIGHT_WINDOW says otherwise.
   */
  inFlightWindow: number;
  /**
   * The BatchTransfer contract (contracts/BatchTransfer.sol) mass payouts use on this network. Absent, or
   * without code on chain, mass payouts fall back to one transaction per item.
   */
  batchTransferAddress?: Address;
  assets: AssetDefinition[];
}

export interface Currency {
  asset: string;
  network: string;
  chain_id: number;
  decimals: number;
  kind: AssetKind;
  contract_address: Address | null;
  confirmations: number;
}

export class NetworkRegistry {
  private readonly byId: Map<string, NetworkDefinition>;

  constructor(readonly networks: readonly NetworkDefinition[]) {
    this.byId = new Map();
    for (const network of networks) {
      if (this.byId.has(network.id)) throw new Error(`network ${network.id} is defined twice`);
      if (network.rpcUrls.length === 0) throw new Error(`network ${network.id} has no RPC URL`);
      for (const asset of network.assets) {
        if (asset.kind === 'erc20' && !(asset.contractAddress && isAddress(asset.contractAddress))) {
          throw new Error(`asset ${asset.symbol} on ${network.id} needs a valid contract address`);
        }
      }
      this.byId.set(network.id, network);
    }
  }

  networkIds(): string[] {
    return [...this.byId.keys()];
  }

  findNetwork(id: string): NetworkDefinition | undefined {
    return this.byId.get(id);
  }

  network(id: string): NetworkDefinition {
    const network = this.byId.get(id);
    if (!network) throw new Error(`unknown network ${id}; configured: ${this.networkIds().join(', ')}`);
    return network;
  }

  findAsset(networkId: string, symbol: string): AssetDefinition | undefined {
    return this.byId.get(networkId)?.assets.find((asset) => asset.symbol === symbol);
  }

  asset(networkId: string, symbol: string): AssetDefinition {
    const asset = this.findAsset(networkId, symbol);
    if (!asset) throw new Error(`asset ${symbol} is not configured on network ${networkId}`);
    return asset;
  }

  /** Every asset symbol known on any network. */
  assetSymbols(): string[] {
    return [...new Set(this.networks.flatMap((network) => network.assets.map((asset) => asset.symbol)))];
  }

  /** Networks on which `symbol` can be paid, for error messages that say what is valid. */
  networksForAsset(symbol: string): string[] {
    return this.networks.filter((network) => network.assets.some((asset) => asset.symbol === symbol)).map((n) => n.id);
  }

  currencies(): Currency[] {
    return this.networks.flatMap((network) =>
      network.assets.map((asset) => ({
        asset: asset.symbol,
        network: network.id,
        chain_id: network.chainId,
        decimals: asset.decimals,
        kind: asset.kind,
        contract_address: asset.contractAddress ?? null,
        confirmations: network.confirmations,
      })),
    );
  }
}

/** Settings that differ between deployments; everything else about the local networks is fixed here. */
export interface LocalNetworkSettings {
  localRpcUrls: string[];
  localL2RpcUrls: string[];
  localUsdcAddress: Address;
  /** BatchTransfer on `local` / `local-l2`; absent: mass payouts there send one transaction per item. */
  localBatchTransferAddress?: Address;
  localL2BatchTransferAddress?: Address;
  confirmations: number;
  pollIntervalMs: number;
  replaceAfterMs: number;
  rebroadcastAfterMs: number;
  feeCeiling: FeeCeiling;
  inFlightWindow: number;
}

/**
 * The development networks: two anvil chains with different chain ids. `local` carries
 * ETH and a USDC-like test token (6 decimals); `local-l2` carries only ETH.
 */
export function localNetworks(settings: LocalNetworkSettings): NetworkDefinition[] {
  const eth = (): AssetDefinition => ({
    symbol: 'ETH',
    name: 'Ether',
    decimals: 18,
    kind: 'native',
    approvalThresholdUnits: 5n * 10n ** 18n,
  });
  return [
    {
      id: 'local',
      name: 'Local EVM (anvil, chain 31337)',
      chainId: 31337,
      rpcUrls: settings.localRpcUrls,
      confirmations: settings.confirmations,
      pollIntervalMs: settings.pollIntervalMs,
      replaceAfterMs: settings.replaceAfterMs,
      rebroadcastAfterMs: settings.rebroadcastAfterMs,
      feeCeiling: settings.feeCeiling,
      inFlightWindow: settings.inFlightWindow,
      batchTransferAddress: settings.localBatchTransferAddress && getAddress(settings.localBatchTransferAddress),
      assets: [
        eth(),
        {
          symbol: 'USDC',
          name: 'Test USD Coin',
          decimals: 6,
          kind: 'erc20',
          contractAddress: getAddress(settings.localUsdcAddress),
          approvalThresholdUnits: 10_000n * 10n ** 6n,
        },
      ],
    },
    {
      id: 'local-l2',
      name: 'Local EVM L2 (anvil, chain 31338)',
      chainId: 31338,
      rpcUrls: settings.localL2RpcUrls,
      confirmations: settings.confirmations,
      pollIntervalMs: settings.pollIntervalMs,
      replaceAfterMs: settings.replaceAfterMs,
      rebroadcastAfterMs: settings.rebroadcastAfterMs,
      feeCeiling: settings.feeCeiling,
      inFlightWindow: settings.inFlightWindow,
      batchTransferAddress: settings.localL2BatchTransferAddress && getAddress(settings.localL2BatchTransferAddress),
      assets: [eth()],
    },
  ];
}
