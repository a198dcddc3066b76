/**
 * The registry of networks and the assets payable on each: one source that the API's
 * validation, `GET /v1/currencies`, the activities and the worker all read.
 * Pure data plus lookups; where the values come from (env, files) is lib/config.ts.
 */
import { isAddress, type Address } from 'viem';
import type { FeeCeiling } from './fees';

export type AssetKind = 'native' | 'erc20';

export interface AssetDefinition {
  symbol: string;
  name: string;
  decimals: number;
  kind: AssetKind;
  /** ERC-20 contract; absent for the native asset. */
  contractAddress?: Address;
  /** The token keeps a blacklist with USDC's `isBlacklisted(address)`: a listed destination is held for compliance. */
  screenBlacklist?: boolean;
}

/**
 * Where a network's treasury key is: a reference, never the key (a KMS key id, a keystore file, the name of the
 * variable that holds a raw key), so a network definition can be logged or shown without leaking one.
 */
export type SignerReference =
  | { kind: 'kms'; keyId: string; region?: string }
  | { kind: 'keystore'; file: string; passwordFile?: string; passwordVariable?: string }
  | { kind: 'key-variable'; variable: string };

export interface NetworkDefinition {
  id: string;
  name: string;
  chainId: number;
  /** Tried in order; later URLs are fallbacks. */
  rpcUrls: string[];
  /** Blocks on top of (and including) the transaction's block before a payout is final (also `finality.confirmations`). */
  confirmations: number;
  /** `finality.blockTag`: a payout is final only once its block is at or below this tag too. */
  finalityTag?: 'safe' | 'finalized';
  /** The network's usual block interval; the default poll interval derives from it. */
  blockTimeMs: number;
  /** Whether the network is a test network (its assets have no value). */
  testnet: boolean;
  /** A development chain (the local anvil presets): NODE_ENV=production refuses to start with one. */
  developmentOnly?: boolean;
  /**
   * `op-stack`: transactions also pay an L1 data fee, quoted by the GasPriceOracle predeploy before signing and read
   * from the receipt's `l1Fee` after (domain/network-fee.ts). Arbitrum needs nothing: its gasUsed includes L1 costs.
   */
  l1DataFee?: 'op-stack';
  /** How often the worker polls for receipts and confirmations. */
  pollIntervalMs: number;
  /** A transaction not included after this long is replaced with higher fees (same nonce). */
  replaceAfterMs: number;
  /** A transaction the node no longer knows (dropped from its mempool) is sent again after this long. */
  rebroadcastAfterMs: number;
  /** A floor on the priority fee (wei per gas): some networks' nodes estimate too low to be included. */
  minPriorityFeePerGas: bigint;
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
  /** The signer of this network's treasury wallet; absent, the worker's default signer (TREASURY_*). */
  signer?: SignerReference;
  /** A sanctions oracle with Chainalysis' interface (`isSanctioned(address)`): screening asks it too. */
  sanctionsOracle?: Address;
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
  finality_tag: 'safe' | 'finalized' | null;
  testnet: boolean;
}

/** The last block with at least `confirmations` blocks on top of (and including) it. */
export const safeHead = (head: bigint, confirmations: number): bigint => head - BigInt(Math.max(confirmations, 1)) + 1n;

/** The asset a network's gas is paid in (the registry checks that each network has exactly one). */
export function nativeAssetOf(network: NetworkDefinition): AssetDefinition {
  return network.assets.find((asset) => asset.kind === 'native')!;
}

export class NetworkRegistry {
  private readonly byId: Map<string, NetworkDefinition>;

  constructor(readonly networks: readonly NetworkDefinition[]) {
    this.byId = new Map();
    for (const network of networks) {
      if (this.byId.has(network.id)) throw new Error(`network ${network.id} is defined twice`);
      if (network.rpcUrls.length === 0) throw new Error(`network ${network.id} has no RPC URL`);
      const natives = network.assets.filter((asset) => asset.kind === 'native');
      if (natives.length !== 1) throw new Error(`network ${network.id} needs exactly one native asset, has ${natives.length}`);
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

  /** The asset gas is paid in: ETH on Ethereum and its L2s, POL on Polygon. */
  nativeAsset(networkId: string): AssetDefinition {
    return nativeAssetOf(this.network(networkId));
  }

  /**
   * What a network fee on `networkId` is shown in: its native asset, or plain wei (0 decimals, exact) for a network
   * this deployment no longer configures.
   */
  feeUnit(networkId: string): { symbol: string; decimals: number } {
    return this.byId.has(networkId) ? this.nativeAsset(networkId) : { symbol: 'wei', decimals: 0 };
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
        finality_tag: network.finalityTag ?? null,
        testnet: network.testnet,
      })),
    );
  }
}
