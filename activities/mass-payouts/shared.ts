/** What several mass-payout activity groups use, built once from the deps: the treasury, lookups, the outbox. */
import type { Address } from 'viem';
import type { LowBalanceThreshold } from '../../domain/balance-alerts';
import type { AssetDefinition, NetworkRegistry } from '../../domain/networks';
import type { ChainClients } from '../../lib/chain';
import type { MassPayoutSettings } from '../../lib/config';
import type { Db } from '../../lib/db';
import type { TreasurySigners } from '../../lib/signer';
import { workflowRunId } from '../funds';

/** The head-room every gas limit gets over its estimate. */
export const GAS_LIMIT_HEADROOM_PERCENT = 20n;
export const withHeadroom = (gas: bigint) => (gas * (100n + GAS_LIMIT_HEADROOM_PERCENT) + 99n) / 100n;

export interface MassPayoutDeps {
  db: Db;
  registry: NetworkRegistry;
  chains: ChainClients;
  signers: TreasurySigners;
  settings: MassPayoutSettings;
  lowBalanceThresholds?: readonly LowBalanceThreshold[];
}

export function massShared(deps: MassPayoutDeps) {
  const { db, registry, chains, signers, settings } = deps;
  const treasuryOf = (network: string): Address => signers.forNetwork(network).address;
  const thresholds = deps.lowBalanceThresholds ?? [];
  const context = () => ({ workflowRunId: workflowRunId() });

  const loadMass = (massPayoutId: string) => db.massPayout.findUniqueOrThrow({ where: { id: massPayoutId } });
  const nativeOf = (network: string): AssetDefinition => registry.nativeAsset(network);

  /** Whether the network's BatchTransfer is configured and has code: otherwise items go one transaction each. */
  const batchContract = async (network: string): Promise<Address | undefined> => {
    const address = registry.network(network).batchTransferAddress;
    if (!address) return undefined;
    const code = await chains.client(network).getCode({ address });
    return code && code !== '0x' ? address : undefined;
  };

  const outbox = async (
    tx: Parameters<Parameters<Db['$transaction']>[0]>[0],
    mass: { id: string; accountId: string },
    eventId: string,
    eventType: string,
    payload: Record<string, unknown>,
  ) => {
    await tx.$executeRaw`
      INSERT INTO outbox_events (id, account_id, aggregate_type, aggregate_id, event_type, payload)
      VALUES (${eventId}, ${mass.accountId}, 'mass_payout', ${mass.id}, ${eventType}, ${JSON.stringify(payload)}::jsonb)
      ON CONFLICT (id) DO NOTHING`;
  };

  return { db, registry, chains, signers, settings, treasuryOf, thresholds, context, loadMass, nativeOf, batchContract, outbox };
}

export type MassShared = ReturnType<typeof massShared>;
