/**
 * A network's signer changed while deliveries signed by the old key are still in flight: only the old key can bump or
 * cancel them, and the wallet owner follows the new key's wallet only, so they would wait forever. With
 * NODE_ENV=production the worker refuses to start instead, and says which deliveries and what to do; in development it
 * warns (a development database holds many throwaway treasuries on one network: every test has its own).
 */
import type { NetworkRegistry } from '../../domain/networks';
import type { Db } from '../../lib/db';
import type { TreasurySigners } from '../../lib/signer';

export async function deliveriesOfFormerSigners(db: Db, registry: NetworkRegistry, signers: TreasurySigners): Promise<string[]> {
  const inFlight = await db.chainTransaction.groupBy({
    by: ['network', 'fromAddress'],
    where: { network: { in: registry.networkIds() }, state: { in: ['signed', 'broadcast'] } },
    _count: { _all: true },
  });
  return inFlight
    .filter((group) => group.fromAddress.toLowerCase() !== signers.forNetwork(group.network).address.toLowerCase())
    .map(
      (group) =>
        `network ${group.network} has ${group._count._all} deliveries in flight signed by ${group.fromAddress}, but its signer ` +
        `is now ${signers.forNetwork(group.network).address}: configure the old signer until they are final, then switch ` +
        '(docs/networks.md#one-signer-per-network)',
    );
}
