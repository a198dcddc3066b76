/** GET /v1/wallets: who owns each hot wallet and what it is doing, for on-call. */
import { Router } from 'express';
import { formatAmount } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';
import type { Db } from '../../lib/db';
import { requireScope } from '../http/auth';

/** What the owner writes (activities/delivery/wallet-owner.ts). */
interface OwnerStatus {
  observedAt: string;
  head: string;
  inFlight: number;
  chainNonce: string;
  storedNextNonce: string | null;
  nonceLag: string;
  oldestUnconfirmed: { deliveryId: string; nonce: string; since: string } | null;
  balance: { asset: string; units: string };
}

export function walletRoutes(deps: { db: Db; registry: NetworkRegistry }): Router {
  const router = Router();

  router.get('/v1/wallets', requireScope('payouts:read'), async (_req, res) => {
    const leases = await deps.db.walletLease.findMany({ orderBy: [{ network: 'asc' }, { address: 'asc' }] });
    const now = Date.now();
    const data = leases.map((lease) => {
      const status = lease.status as OwnerStatus | null;
      const decimals = deps.registry.feeUnit(lease.network).decimals;
      return {
        network: lease.network,
        address: lease.address,
        owner: {
          holder: lease.holder,
          epoch: lease.epoch.toString(),
          acquired_at: lease.acquiredAt.toISOString(),
          lease_expires_at: lease.expiresAt.toISOString(),
          live: lease.expiresAt.getTime() > now,
        },
        status: status && {
          observed_at: status.observedAt,
          head: status.head,
          in_flight: status.inFlight,
          chain_nonce: status.chainNonce,
          stored_next_nonce: status.storedNextNonce,
          nonce_lag: status.nonceLag,
          oldest_unconfirmed: status.oldestUnconfirmed && {
            delivery_id: status.oldestUnconfirmed.deliveryId,
            nonce: status.oldestUnconfirmed.nonce,
            since: status.oldestUnconfirmed.since,
          },
          balance: { asset: status.balance.asset, amount: formatAmount(BigInt(status.balance.units), decimals) },
        },
      };
    });
    res.json({ object: 'list', data });
  });

  return router;
}
