/**
 * The owner of a hot wallet (network + address): after signing, everything that happens to the wallet's stored
 * transactions is done here, for payouts, mass-payout chunks and items and token allowances alike. It
 *   - re-sends a transaction the node dropped, and sends a signed one its delivery never sent (a nonce gap);
 *   - bumps the next transaction in line once it is stuck, up to the network's fee ceiling;
 *   - fills the nonce of a delivery whose owner ended unpaid with a same-nonce cancellation, never its transfer;
 *   - decides finality: the kept attempt, once the network's confirmations are on the canonical chain;
 *   - reports a fee ceiling, or a nonce used by none of its attempts.
 * The deliveries' workflows only read what it decided (awaitConfirmations), so their RPC cost no longer grows with
 * the wait for finality, and two activities can no longer bump or heal the same nonce at once.
 *
 * One loop per network runs in every worker process; a fenced lease (lease.ts) lets exactly one of them act. Why a
 * leader-elected loop and not a per-wallet workflow: the wallet's work is a look at the chain every block, which in a
 * workflow would be a long heartbeating activity plus continue-as-new, i.e. the same loop with a second failover
 * mechanism on top of it. The lease gives the fencing directly, and a takeover after a crash takes one lease period.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { TransactionNotFoundError, type Hex, type TransactionReceipt } from 'viem';
import { nativeAssetOf, type NetworkDefinition, type NetworkRegistry } from '../../domain/networks';
import { finalBlock, type ChainClients } from '../../lib/chain';
import type { Db } from '../../lib/db';
import { wakeablePause } from '../../lib/pause';
import type { TreasurySigners } from '../../lib/signer';
import { deliveryAttempts, type StoredAttempt } from './attempts';
import { LeaseLost, walletLease, type WalletLease } from './lease';
import { transactionFee } from '../../domain/network-fee';
import { deliveryFields, type LogFn } from '../../lib/telemetry/logger';

/** Checks, one rebroadcast interval apart, that must agree before a nonce conflict is reported. */
export const NONCE_CONFLICT_CHECKS = 3;
/** Deliveries in flight read per round; the rest wait for a later round (they are behind these in nonce order). */
const ROUND_LIMIT = 2_000;

export interface WalletOwnerOptions {
  db: Db;
  registry: NetworkRegistry;
  chains: ChainClients;
  signers: TreasurySigners;
  /** Names this process in the lease; host, pid and a random part by default. */
  holder?: string;
  /** WALLET_LEASE_MS: how long a lease lasts unrenewed, i.e. how long a takeover after a crash takes. */
  leaseMs: number;
  log?: LogFn;
}

export interface WalletOwners {
  /** Stops acting and gives the leases up, so another process takes over without waiting for them to expire. */
  stop(): Promise<void>;
}

/** One owner loop per configured network, for the wallet of that network's signer. */
export function startWalletOwners(options: WalletOwnerOptions): WalletOwners {
  const holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const owners = options.registry.networks.map((network) => startWalletOwner({ ...options, holder }, network));
  return {
    async stop() {
      await Promise.all(owners.map((owner) => owner.stop()));
    },
  };
}

/** What the owner remembers of a delivery within one term; a new term starts from the chain again. */
interface Tracked {
  /** The attempt the chain included, and where; cleared when a reorg takes it out. */
  included?: { attempt: { txHash: string; kind: string }; receipt: TransactionReceipt };
  /** When this owner last tried to send it, in this term. */
  lastSendAt?: number;
  /** When a check last found it in the node's mempool (or sent it). */
  lastSeenAt: number;
  lastPresenceCheckAt: number;
  /** Consecutive checks that found the nonce used at final depth by none of its attempts. */
  conflictSeen: number;
  lastConflictCheckAt: number;
  /** A bump was refused by the fee ceiling in this term: it waits without further bumps. */
  atCeiling: boolean;
}

type InFlight = {
  payoutId: string;
  nonce: bigint;
  state: string;
  createdAt: Date;
  releasedAt: Date | null;
  feeCeilingReason: string | null;
  nonceConflictAt: Date | null;
  attempts: { attempt: number; kind: string; txHash: string; broadcastAt: Date | null; createdAt: Date }[];
};

type ChainView = {
  head: bigint;
  /** The highest nonce among the wallet's deliveries in flight that were sent. */
  highestSentNonce: bigint | undefined;
  minedCount: bigint;
  canonicalHash: (blockNumber: bigint) => Promise<Hex>;
  /** The newest block that counts as final at `head` (lib/chain.ts finalBlock), read once per round. */
  finalBlock: () => Promise<bigint>;
  finalNonceCount: () => Promise<bigint>;
};

function startWalletOwner(options: WalletOwnerOptions & { holder: string }, network: NetworkDefinition): WalletOwners {
  const { db, chains, signers } = options;
  const log = options.log ?? ((message: string, error?: unknown) => console.error(`[wallet-owner] ${message}`, error ?? ''));
  const address = signers.forNetwork(network.id).address;
  const lease: WalletLease = walletLease(db, { network: network.id, address }, { holder: options.holder, ttlMs: options.leaseMs });
  const attempts = deliveryAttempts(options);
  const client = chains.client(network.id);
  let tracked = new Map<string, Tracked>();
  let stopping = false;
  const idle = wakeablePause();
  let renewedAt = 0;
  let statusAt = 0;

  const track = (id: string): Tracked => {
    let entry = tracked.get(id);
    if (!entry) {
      entry = { lastSeenAt: Date.now(), lastPresenceCheckAt: 0, conflictSeen: 0, lastConflictCheckAt: 0, atCeiling: false };
      tracked.set(id, entry);
    }
    return entry;
  };

  /**
   * The delivery's latest attempt as stored now, with its bytes. The round's snapshot may be older than a cancel
   * that was acknowledged since, so nothing is sent or judged from the snapshot.
   */
  const latestAttempt = (deliveryId: string) =>
    db.transactionAttempt.findFirstOrThrow({
      where: { payoutId: deliveryId },
      orderBy: { attempt: 'desc' },
      select: { attempt: true, kind: true, rawTx: true, txHash: true, broadcastAt: true, createdAt: true },
    });

  /** Sends what the nonce should carry now: the latest attempt, or a cancellation if its owner ended unpaid. */
  async function sendCurrent(deliveryId: string, latest: StoredAttempt): Promise<void> {
    if (!lease.holds()) throw new LeaseLost(network.id, address, lease.epoch() ?? 0n);
    if (latest.kind === 'transfer' && (await attempts.ownerEndedUnpaid(deliveryId))) {
      // Its payout (or delivery) ended and released its funds: its transfer must never go out now. The nonce is still
      // the wallet's to fill, so later nonces do not stall behind it: with a cancellation.
      const { attempt: cancel } = await attempts.addAttempt(deliveryId, 'cancel', lease, { reuseCancel: true });
      await attempts.sendAttempt(deliveryId, network.id, cancel, lease);
      return;
    }
    await attempts.sendAttempt(deliveryId, network.id, latest, lease);
  }

  async function finalize(delivery: InFlight, included: NonNullable<Tracked['included']>, confirmations: number): Promise<void> {
    const { receipt, attempt } = included;
    await db.$transaction(async (tx) => {
      await lease.check(tx);
      await tx.chainTransaction.updateMany({
        where: { payoutId: delivery.payoutId, state: { in: ['signed', 'broadcast'] } },
        data: {
          state: receipt.status === 'success' ? 'mined' : 'reverted',
          minedTxHash: attempt.txHash,
          minedBlockNumber: receipt.blockNumber.toString(),
          confirmations,
          gasUsed: receipt.gasUsed.toString(),
          networkFee: transactionFee(receipt).toString(),
        },
      });
    });
    tracked.delete(delivery.payoutId);
  }

  async function report(deliveryId: string, data: { feeCeilingReason: string } | { nonceConflictAt: Date }): Promise<void> {
    await db.$transaction(async (tx) => {
      await lease.check(tx);
      await tx.chainTransaction.updateMany({ where: { payoutId: deliveryId, state: { in: ['signed', 'broadcast'] } }, data });
    });
  }

  const isPending = (hash: string) =>
    client.getTransaction({ hash: hash as Hex }).then(
      () => true,
      (error) => {
        if (error instanceof TransactionNotFoundError) return false;
        throw error;
      },
    );

  /** The chain's nonce count at the last round: nonces beyond it plus twice the window have nothing to do yet. */
  let lastMinedCount: bigint | undefined;

  /** One pass over the wallet's deliveries in flight, in nonce order, up to the window's horizon. */
  async function round() {
    // Hundreds may wait beyond the window (released, unsent); reading them every round cost the worker most of its CPU.
    const horizon = lastMinedCount === undefined ? undefined : lastMinedCount + 2n * BigInt(network.inFlightWindow);
    const [head, minedCount, inFlight] = await Promise.all([
      client.getBlockNumber(),
      client.getTransactionCount({ address, blockTag: 'latest' }).then(BigInt),
      db.chainTransaction.findMany({
        where: {
          network: network.id,
          fromAddress: address,
          state: { in: ['signed', 'broadcast'] },
          ...(horizon === undefined ? {} : { nonce: { lt: horizon } }),
        },
        select: {
          payoutId: true,
          nonce: true,
          state: true,
          createdAt: true,
          releasedAt: true,
          feeCeilingReason: true,
          nonceConflictAt: true,
          attempts: {
            orderBy: { attempt: 'asc' },
            select: { attempt: true, kind: true, txHash: true, broadcastAt: true, createdAt: true },
          },
        },
        orderBy: { nonce: 'asc' },
        take: ROUND_LIMIT,
      }),
    ]);
    lastMinedCount = minedCount;
    const blockHashes = new Map<bigint, Promise<Hex>>();
    let finalCount: Promise<bigint> | undefined;
    let final: Promise<bigint> | undefined;
    const sent = inFlight.filter((delivery) => delivery.state === 'broadcast');
    const chain: ChainView = {
      head,
      highestSentNonce: sent.length > 0 ? sent[sent.length - 1]!.nonce : undefined,
      minedCount,
      canonicalHash(blockNumber) {
        if (!blockHashes.has(blockNumber))
          blockHashes.set(
            blockNumber,
            client.getBlock({ blockNumber }).then((block) => block.hash!),
          );
        return blockHashes.get(blockNumber)!;
      },
      finalBlock: () => (final ??= finalBlock(client, network, head)),
      finalNonceCount: () => (finalCount ??= attempts.finalNonceCount(network.id, address, head)),
    };

    const live = new Set<string>();
    for (const delivery of inFlight) {
      live.add(delivery.payoutId);
      // A round over hundreds of deliveries on a loaded machine can outlast the lease: renew it on the way, or every
      // long round would end its own term and the next would start over from the chain.
      await renewIfDue();
      try {
        await step(delivery, chain);
      } catch (error) {
        if (error instanceof LeaseLost) throw error;
        log(`delivery ${delivery.payoutId} (nonce ${delivery.nonce}) on ${network.id}: trying again next round`, error, {
          ...deliveryFields(delivery.payoutId),
          network: network.id,
          wallet: address,
          nonce: delivery.nonce,
        });
      }
    }
    for (const id of tracked.keys()) if (!live.has(id)) tracked.delete(id);
    return { head, minedCount, inFlight };
  }

  async function step(delivery: InFlight, chain: ChainView): Promise<void> {
    const entry = track(delivery.payoutId);
    const now = Date.now();

    if (delivery.nonce < chain.minedCount) {
      // The chain used this nonce: find which of our attempts it kept (once; the receipt is remembered).
      if (!entry.included && now - entry.lastConflictCheckAt >= (entry.conflictSeen === 0 ? 0 : network.rebroadcastAfterMs)) {
        entry.lastConflictCheckAt = now;
        const mined = await attempts.findMined(network.id, delivery.attempts);
        if (mined) {
          entry.included = mined;
          entry.conflictSeen = 0;
        } else if ((await chain.finalNonceCount()) > delivery.nonce) {
          // Used at final depth by none of our attempts, as far as this node can tell. One read may be a lagging node
          // behind a load balancer: it counts only when it holds on checks an interval apart, and even then it is only
          // reported (the workflow asks a person; the funds stay held).
          entry.conflictSeen += 1;
          if (entry.conflictSeen >= NONCE_CONFLICT_CHECKS && !delivery.nonceConflictAt)
            await report(delivery.payoutId, { nonceConflictAt: new Date() });
        }
      }
      if (!entry.included) return;
      const { receipt } = entry.included;
      if (receipt.blockNumber > (await chain.finalBlock())) return;
      const confirmations = Number(chain.head - receipt.blockNumber + 1n);
      if ((await chain.canonicalHash(receipt.blockNumber)) !== receipt.blockHash) {
        entry.included = undefined; // reorganized away: look again next round
        return;
      }
      await finalize(delivery, entry.included, confirmations);
      return;
    }

    // Not mined (or a reorg took it out again).
    entry.included = undefined;
    entry.conflictSeen = 0;
    if (delivery.state === 'signed') {
      // Released by its workflow: sent as soon as its nonce is inside the window. Not released: its workflow decides
      // when (and whether) its transfer goes out, unless it is a gap that holds the wallet up, i.e. still unsent a
      // rebroadcast interval after a later nonce was sent. Then it is sent (or filled, if its owner ended unpaid).
      const inWindow = delivery.nonce < chain.minedCount + BigInt(network.inFlightWindow);
      const gap = chain.highestSentNonce !== undefined && chain.highestSentNonce > delivery.nonce;
      const resting = entry.lastSendAt !== undefined && now - entry.lastSendAt < network.rebroadcastAfterMs;
      const due = delivery.releasedAt ? inWindow : gap && now - delivery.createdAt.getTime() > network.rebroadcastAfterMs;
      if (due && !resting) {
        entry.lastSendAt = now; // before sending: a send that fails (e.g. no gas yet) is tried once an interval, not every round
        await sendCurrent(delivery.payoutId, await latestAttempt(delivery.payoutId));
        entry.lastSeenAt = now;
      }
      return;
    }
    const nextInLine = delivery.nonce === chain.minedCount;
    // Presence is checked each round for the next in line (it may need a bump), once an interval for the rest.
    if (!nextInLine && now - entry.lastPresenceCheckAt < network.rebroadcastAfterMs) return;
    entry.lastPresenceCheckAt = now;
    const latest = await latestAttempt(delivery.payoutId);
    const pending = await isPending(latest.txHash);
    if (!pending) {
      if (now - entry.lastSeenAt > network.rebroadcastAfterMs) {
        // Dropped from the mempool (or reorganized out): send the very same bytes again.
        await sendCurrent(delivery.payoutId, latest);
        entry.lastSeenAt = now;
      }
      return;
    }
    entry.lastSeenAt = now;
    const sentAt = (latest.broadcastAt ?? latest.createdAt).getTime();
    if (nextInLine && !entry.atCeiling && now - sentAt > network.replaceAfterMs) {
      // Stuck: same nonce, fees up at least 10 % (domain/fees.ts), up to the network's ceiling. Waiting behind lower
      // nonces is no reason to pay more, so only the next in line is bumped. The kind is decided under the row lock.
      const bumped = await attempts.addAttempt(delivery.payoutId, latest.kind as 'transfer' | 'cancel', lease);
      if (bumped.ceiling) {
        entry.atCeiling = true;
        if (!delivery.feeCeilingReason) await report(delivery.payoutId, { feeCeilingReason: bumped.ceiling });
      } else {
        await attempts.sendAttempt(delivery.payoutId, network.id, bumped.attempt, lease);
      }
    }
  }

  /** Leaves what the owner saw where on-call looks (wallet_leases.status), under the lease's fence. */
  async function writeStatus(seen: { head: bigint; minedCount: bigint; inFlight: InFlight[] }): Promise<void> {
    statusAt = Date.now();
    const [stored, balance, inFlight] = await Promise.all([
      db.walletNonce.findUnique({ where: { network_address: { network: network.id, address } } }),
      client.getBalance({ address }),
      // All of them, also those beyond the round's horizon.
      db.chainTransaction.count({ where: { network: network.id, fromAddress: address, state: { in: ['signed', 'broadcast'] } } }),
    ]);
    const oldest = seen.inFlight[0];
    const status = {
      observedAt: new Date().toISOString(),
      head: seen.head.toString(),
      inFlight,
      chainNonce: seen.minedCount.toString(),
      storedNextNonce: stored?.nextNonce.toString() ?? null,
      nonceLag: stored ? (stored.nextNonce - seen.minedCount).toString() : '0',
      oldestUnconfirmed: oldest
        ? { deliveryId: oldest.payoutId, nonce: oldest.nonce.toString(), since: oldest.createdAt.toISOString() }
        : null,
      balance: { asset: nativeAssetOf(network).symbol, units: balance.toString() },
    };
    await db.$transaction(async (tx) => {
      await lease.check(tx);
      await tx.walletLease.update({ where: { network_address: { network: network.id, address } }, data: { status } });
    });
  }

  /** Renews the lease a third of the way through; a lease that expired meanwhile ends the term (someone may have acted). */
  async function renewIfDue(): Promise<void> {
    if (Date.now() - renewedAt <= options.leaseMs / 3) return;
    const held = await lease.acquire();
    if (held !== 'renewed') throw new LeaseLost(network.id, address, lease.epoch() ?? 0n);
    renewedAt = Date.now();
  }

  const loop = (async () => {
    while (!stopping) {
      try {
        // Renewed a third of the way through, so a round in progress never outlives the lease.
        if (!lease.holds() || Date.now() - renewedAt > options.leaseMs / 3) {
          const held = await lease.acquire();
          if (held === 'taken') {
            tracked = new Map(); // a new term: whatever the last owner did is read from the chain again
            log(`owner of ${address} on ${network.id} (epoch ${lease.epoch()})`, undefined, { network: network.id, wallet: address });
          }
          if (held !== 'held_elsewhere') renewedAt = Date.now();
        }
        if (lease.holds()) {
          const seen = await round();
          if (Date.now() - statusAt > options.leaseMs / 3) await writeStatus(seen);
        }
      } catch (error) {
        if (error instanceof LeaseLost) {
          tracked = new Map();
          log(error.message);
        } else {
          log(`round on ${network.id} failed; retrying`, error, { network: network.id, wallet: address });
        }
      }
      if (stopping) break;
      // Someone else's lease: ask again every second or so, to take over soon after it is released or expires.
      const pause = lease.holds()
        ? network.pollIntervalMs
        : Math.min(Math.ceil(options.leaseMs / 3), Math.max(network.pollIntervalMs, 1_000));
      await idle.pause(pause);
    }
  })();

  return {
    async stop() {
      stopping = true;
      idle.wake();
      await loop;
      await lease.release().catch((error) => log(`releasing the lease of ${address} on ${network.id} failed; it expires by itself`, error));
    },
  };
}
