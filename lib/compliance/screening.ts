/**
 * Sanctions screening of a destination, against every source that applies to it:
 * - the sanctions list loaded from a file (the OFAC SDN list's digital-currency addresses; lib/compliance/sanctions-list.ts);
 * - the network's on-chain sanctions oracle, where the networks file names one (Chainalysis' `isSanctioned(address)`);
 * - the token's own blacklist, where the networks file says it keeps one (USDC's `isBlacklisted(address)`).
 * It runs at creation and again right before signing, because lists change. A source that cannot answer (the oracle's
 * RPC down) throws: an unscreened destination is never treated as clear.
 */
import { parseAbi, type Address } from 'viem';
import type { AssetDefinition, NetworkRegistry } from '../../domain/networks';
import type { ChainClients } from '../chain';
import type { Db } from '../db';
import { listedSources } from './sanctions-list';

export type ScreeningSource = 'sanctions_list' | 'sanctions_oracle' | 'token_blacklist';

export interface ScreeningHit {
  source: ScreeningSource;
  /** For the person who decides: which list, which load, which contract. */
  detail: string;
}

export interface ScreeningDeps {
  db: Pick<Db, 'sanctionedAddress'>;
  chains: ChainClients;
  registry: NetworkRegistry;
}

const oracleAbi = parseAbi(['function isSanctioned(address addr) view returns (bool)']);
const blacklistAbi = parseAbi(['function isBlacklisted(address account) view returns (bool)']);

export async function screenDestination(
  deps: ScreeningDeps,
  target: { network: string; asset: string; address: string },
): Promise<ScreeningHit[]> {
  const network = deps.registry.network(target.network);
  const asset: AssetDefinition = deps.registry.asset(target.network, target.asset);
  const address = target.address as Address;
  const [listed, sanctioned, blacklisted] = await Promise.all([
    listedSources(deps.db, address),
    network.sanctionsOracle
      ? deps.chains
          .client(network.id)
          .readContract({ address: network.sanctionsOracle, abi: oracleAbi, functionName: 'isSanctioned', args: [address] })
      : false,
    asset.screenBlacklist && asset.contractAddress
      ? deps.chains
          .client(network.id)
          .readContract({ address: asset.contractAddress, abi: blacklistAbi, functionName: 'isBlacklisted', args: [address] })
      : false,
  ]);
  const hits: ScreeningHit[] = listed.map(({ source, load }) => ({
    source: 'sanctions_list',
    detail:
      `listed in ${source} (${load.fileName}${load.publishedOn ? ` of ${load.publishedOn.toISOString().slice(0, 10)}` : ''}, ` +
      `load ${load.id} at ${load.loadedAt.toISOString()})`,
  }));
  if (sanctioned)
    hits.push({ source: 'sanctions_oracle', detail: `the sanctions oracle ${network.sanctionsOracle} on ${network.id} lists it` });
  if (blacklisted) hits.push({ source: 'token_blacklist', detail: `${asset.symbol} (${asset.contractAddress}) blacklists it` });
  return hits;
}

/** The audit row of one screening of a payout's destination (compliance_screenings). */
export const screeningRecord = (
  payout: { id: string; accountId: string; network: string; asset: string; destination: string },
  stage: 'creation' | 'before_signing',
  hits: ScreeningHit[],
) => ({
  accountId: payout.accountId,
  payoutId: payout.id,
  stage,
  network: payout.network,
  asset: payout.asset,
  address: payout.destination.toLowerCase(),
  outcome: hits.length ? 'hit' : 'clear',
  hits: hits as unknown as object[],
});
