/**
 * The fenced lease that makes one process the owner of a hot wallet (network + address). Taking the lease over
 * (after it expired) raises its epoch. Every write the owner makes runs `check` inside its own database transaction:
 * it reads the lease row FOR SHARE, so a takeover waits for the write in flight and every later write of the old owner
 * fails. Between writes the owner also stops acting as soon as its own clock says the lease may have passed.
 */
import type { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import type { Fence } from './attempts';

export class LeaseLost extends Error {
  constructor(network: string, address: string, epoch: bigint) {
    super(`the lease of wallet ${address} on ${network} (epoch ${epoch}) was lost: another owner took over`);
  }
}

export interface WalletLease extends Fence {
  /** Takes the lease if it is free or expired, or renews it if this holder has it. `taken` starts a new term (a new epoch). */
  acquire(): Promise<'taken' | 'renewed' | 'held_elsewhere'>;
  /** True while this process holds the lease by its own clock (with a margin for clock drift and slow writes). */
  holds(): boolean;
  epoch(): bigint | undefined;
  /** Gives the lease up at once (a clean shutdown), so another owner need not wait for it to expire. */
  release(): Promise<void>;
}

export function walletLease(db: Db, wallet: { network: string; address: string }, options: { holder: string; ttlMs: number }): WalletLease {
  const { network, address } = wallet;
  const { holder, ttlMs } = options;
  let epoch: bigint | undefined;
  let validUntil = 0;
  // A third of the lease is the margin: an owner that paused that long stops before anyone could take over.
  const margin = Math.ceil(ttlMs / 3);

  return {
    async acquire() {
      const startedAt = Date.now();
      const rows = await db.$queryRaw<{ epoch: bigint }[]>`
        INSERT INTO wallet_leases (network, address, holder, epoch, expires_at, acquired_at)
        VALUES (${network}, ${address}, ${holder}, 1, now() + ${ttlMs} * interval '1 millisecond', now())
        ON CONFLICT (network, address) DO UPDATE SET
          holder = EXCLUDED.holder,
          epoch = CASE WHEN wallet_leases.holder = EXCLUDED.holder AND wallet_leases.expires_at > now()
                       THEN wallet_leases.epoch ELSE wallet_leases.epoch + 1 END,
          acquired_at = CASE WHEN wallet_leases.holder = EXCLUDED.holder AND wallet_leases.expires_at > now()
                       THEN wallet_leases.acquired_at ELSE now() END,
          expires_at = EXCLUDED.expires_at
        WHERE wallet_leases.expires_at <= now() OR wallet_leases.holder = EXCLUDED.holder
        RETURNING epoch`;
      const previous = epoch;
      epoch = rows[0] === undefined ? undefined : BigInt(rows[0].epoch);
      validUntil = epoch === undefined ? 0 : startedAt + ttlMs - margin;
      if (epoch === undefined) return 'held_elsewhere';
      // Ours again after it expired is a new term too: someone may have acted in between.
      return epoch === previous ? 'renewed' : 'taken';
    },
    holds() {
      return epoch !== undefined && Date.now() < validUntil;
    },
    epoch() {
      return epoch;
    },
    async check(tx: Prisma.TransactionClient) {
      const mine = epoch;
      if (mine === undefined || Date.now() >= validUntil) throw new LeaseLost(network, address, mine ?? 0n);
      const rows = await tx.$queryRaw<{ epoch: bigint; holder: string; live: boolean }[]>`
        SELECT epoch, holder, expires_at > now() AS live FROM wallet_leases
        WHERE network = ${network} AND address = ${address} FOR SHARE`;
      const row = rows[0];
      if (!row || BigInt(row.epoch) !== mine || row.holder !== holder || !row.live) {
        epoch = undefined;
        throw new LeaseLost(network, address, mine);
      }
    },
    async release() {
      if (epoch === undefined) return;
      await db.$executeRaw`
        UPDATE wallet_leases SET expires_at = now() WHERE network = ${network} AND address = ${address} AND holder = ${holder} AND epoch = ${epoch}`;
      epoch = undefined;
      validUntil = 0;
    },
  };
}
