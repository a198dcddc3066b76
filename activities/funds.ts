/**
 * Funds reservation: a payout holds its amount against the treasury wallet's on-chain
 * balance before anything is signed, so concurrent payouts cannot together overdraw it.
 * Serialized per (network, wallet, asset) with a transaction-scoped advisory lock.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Address } from 'viem';
import {
  fundingEntry,
  gasEntry,
  gasHoldEntry,
  gasHoldReleaseEntry,
  releaseEntry,
  reservationEntry,
  settlementEntries,
  type PayoutAmounts,
  type WalletAsset,
} from '../domain/ledger';
import { formatAmount } from '../domain/money';
import type { AssetDefinition } from '../domain/networks';
import type { NetworkRegistry } from '../domain/networks';
import { onChainBalance, type ChainClients } from '../lib/chain';
import { decimalToBigint, type Db } from '../lib/db';
import type { LowBalanceThreshold } from '../domain/balance-alerts';
import { evaluateBalanceAlert } from '../lib/ledger/balance-alerts';
import { lockWalletAsset, postEntry, walletView } from '../lib/ledger/post';
import type { Prisma, Payout } from '../generated/prisma/client';
import type { ReserveResult } from './types';

type Tx = Prisma.TransactionClient;

/** The run that posts, recorded on each journal entry (absent when called outside an activity). */
export function workflowRunId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.runId;
  } catch {
    return undefined;
  }
}

/**
 * Records funds that arrived: on-chain balance above the ledger's view of the wallet is posted
 * external -> treasury. The view is read before the chain, so money already sent on chain but
 * not yet settled in the ledger can only hide a deposit for a while, never invent one.
 * Call with the wallet/asset's advisory lock held.
 */
export async function recordArrivedFunds(tx: Tx, at: WalletAsset, readOnChain: () => Promise<bigint>): Promise<bigint> {
  const view = await walletView(tx, at.wallet, at.network, at.asset);
  const onChain = await readOnChain();
  if (onChain > view) {
    await postEntry(tx, fundingEntry(`funding:${at.network}:${at.asset}:${at.wallet.toLowerCase()}:${randomUUID()}`, at, onChain - view), {
      workflowRunId: workflowRunId(),
    });
  }
  return onChain;
}

/** Opens / tops up the ledger for an asset a payout moves but does not reserve (the gas asset, a conversion's sent asset). */
export function syncArrivedFunds(
  deps: { db: Db; chains: ChainClients; treasury: Address; thresholds: readonly LowBalanceThreshold[] },
  network: string,
  asset: AssetDefinition,
): Promise<void> {
  return deps.db.$transaction(
    async (tx) => {
      const at = { wallet: deps.treasury, network, asset: asset.symbol };
      await lockWalletAsset(tx, at);
      await recordArrivedFunds(tx, at, () => onChainBalance(deps.chains, network, asset, deps.treasury));
      await evaluateBalanceAlert(tx, at, deps.thresholds);
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}

/** The fund_reservations key of a payout's gas hold (its amount's hold is keyed by the payout id itself). */
export const gasReservationKey = (payoutId: string) => `gas:${payoutId}`;

/** Units held for (network, wallet, asset) by every payout, mass payout and gas hold not yet settled. */
async function heldUnits(tx: Tx, at: WalletAsset): Promise<bigint> {
  const held = await tx.fundReservation.aggregate({
    _sum: { amount: true },
    where: { network: at.network, wallet: at.wallet, asset: at.asset, state: 'held' },
  });
  return decimalToBigint(held._sum.amount) ?? 0n;
}

/**
 * Holds a payout's worst-case gas in the native asset, against what is free after every other hold, before it signs.
 * Idempotent: a payout holds gas once (a retried prepare keeps the first hold). A shortfall is `insufficient_gas`,
 * which makes the payout wait, unsigned and visible, until the treasury is funded.
 */
export async function holdGas(
  deps: { db: Db; chains: ChainClients; registry: NetworkRegistry; treasury: Address; thresholds?: readonly LowBalanceThreshold[] },
  payoutId: string,
  network: string,
  units: bigint,
): Promise<ReserveResult> {
  const native = deps.registry.network(network).assets.find((a) => a.kind === 'native')!;
  const at = { wallet: deps.treasury, network, asset: native.symbol };
  return deps.db.$transaction(
    async (tx) => {
      await lockWalletAsset(tx, at);
      const key = gasReservationKey(payoutId);
      const existing = await tx.fundReservation.findUnique({ where: { payoutId: key } });
      if (existing) return { ok: true, reservedUnits: existing.amount.toFixed() } as const;
      const balance = await recordArrivedFunds(tx, at, () => onChainBalance(deps.chains, network, native, deps.treasury));
      const held = await heldUnits(tx, at);
      const available = balance - held;
      if (available < units) {
        await evaluateBalanceAlert(tx, at, deps.thresholds ?? [], { neededUnits: units });
        const show = (value: bigint) => `${formatAmount(value < 0n ? 0n : value, native.decimals)} ${native.symbol}`;
        return {
          ok: false,
          failure: {
            code: 'insufficient_gas',
            reason:
              `treasury ${deps.treasury} on ${network} has ${show(available)} ${native.symbol} free for gas ` +
              `(${show(balance)} on chain, ${show(held)} held for payouts and their gas) but this payout's gas may cost up to ` +
              `${show(units)}; fund it with ${native.symbol} and the payout resumes`,
          },
        } as const;
      }
      await tx.fundReservation.create({
        data: { payoutId: key, network, asset: native.symbol, wallet: deps.treasury, amount: units.toString(), state: 'held' },
      });
      await postEntry(tx, gasHoldEntry(payoutId, at, units), { workflowRunId: workflowRunId() });
      await evaluateBalanceAlert(tx, at, deps.thresholds ?? []);
      return { ok: true, reservedUnits: units.toString() } as const;
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}

function payoutAmounts(payout: Payout, wallet: Address): PayoutAmounts {
  const sent = decimalToBigint(payout.amount)!;
  return {
    payoutId: payout.id,
    wallet,
    network: payout.network,
    sent: { asset: payout.asset, units: sent },
    debit: { asset: payout.debitAsset ?? payout.asset, units: decimalToBigint(payout.debitAmount) ?? sent },
    feeUnits: (decimalToBigint(payout.serviceFee) ?? 0n) + (decimalToBigint(payout.conversionFee) ?? 0n),
  };
}

export function fundsActivities(deps: {
  db: Db;
  registry: NetworkRegistry;
  chains: ChainClients;
  treasury: Address;
  lowBalanceThresholds?: readonly LowBalanceThreshold[];
}) {
  const { db, registry, chains, treasury } = deps;
  const thresholds = deps.lowBalanceThresholds ?? [];

  const syncArrived = (network: string, asset: AssetDefinition) => syncArrivedFunds({ db, chains, treasury, thresholds }, network, asset);

  return {
    async reserveFunds(payoutId: string): Promise<ReserveResult> {
      const payout = await db.payout.findUniqueOrThrow({ where: { id: payoutId } });
      // With a conversion the treasury is debited in another asset than it sends.
      const amount = decimalToBigint(payout.debitAmount ?? payout.amount)!;
      const asset = registry.asset(payout.network, payout.debitAsset ?? payout.asset);
      // The ledger needs the other assets this payout will move (the sent asset, gas) opened too.
      const network = registry.network(payout.network);
      const native = network.assets.find((a) => a.kind === 'native')!;
      for (const other of new Set([payout.asset, native.symbol])) {
        if (other !== asset.symbol) await syncArrived(payout.network, registry.asset(payout.network, other));
      }
      return db.$transaction(
        async (tx) => {
          const at = { wallet: treasury, network: payout.network, asset: asset.symbol };
          await lockWalletAsset(tx, at);
          const existing = await tx.fundReservation.findUnique({ where: { payoutId } });
          if (existing) return { ok: true, reservedUnits: existing.amount.toFixed() } as const;

          const balance = await recordArrivedFunds(tx, at, () => onChainBalance(chains, payout.network, asset, treasury));
          const heldByOthers = await heldUnits(tx, at);
          const available = balance - heldByOthers;
          if (available < amount) {
            await evaluateBalanceAlert(tx, at, thresholds, { neededUnits: amount });
            const show = (units: bigint) => `${formatAmount(units, asset.decimals)} ${asset.symbol}`;
            return {
              ok: false,
              failure: {
                code: 'insufficient_funds',
                reason:
                  `treasury ${treasury} on ${payout.network} has ${show(available < 0n ? 0n : available)} available ` +
                  `(${show(balance)} on chain, ${show(heldByOthers)} held for other payouts) but this payout needs ${show(amount)}; ` +
                  `fund the treasury and create the payout again`,
              },
            } as const;
          }
          await tx.fundReservation.create({
            data: { payoutId, network: payout.network, asset: asset.symbol, wallet: treasury, amount: amount.toString(), state: 'held' },
          });
          await postEntry(tx, reservationEntry(payoutAmounts(payout, treasury)), { workflowRunId: workflowRunId() });
          await evaluateBalanceAlert(tx, at, thresholds);
          return { ok: true, reservedUnits: amount.toString() } as const;
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
    },

    /**
     * Ends a hold: `consumed` once paid, `released` when the payout ends unpaid, and posts it to
     * the ledger with the gas its mined transaction (transfer or cancellation) actually cost.
     * Idempotent: the hold only moves from `held`, and every journal entry has a fixed id.
     */
    async settleReservation(payoutId: string, outcome: 'consumed' | 'released'): Promise<void> {
      const payout = await db.payout.findUniqueOrThrow({ where: { id: payoutId } });
      const chainTx = await db.chainTransaction.findUnique({ where: { payoutId } });
      const minedHash = chainTx?.minedTxHash as `0x${string}` | null | undefined;
      // Read before the database transaction: a chain call must not hold it open.
      const receipt = minedHash ? await chains.client(payout.network).getTransactionReceipt({ hash: minedHash }) : undefined;
      const native = registry.network(payout.network).assets.find((a) => a.kind === 'native')!;
      const amounts = payoutAmounts(payout, treasury);
      const context = { workflowRunId: workflowRunId() };
      await db.$transaction(
        async (tx) => {
          await tx.fundReservation.updateMany({ where: { payoutId, state: 'held' }, data: { state: outcome, updatedAt: new Date() } });
          // The gas hold always goes back whole: the gas entry below posts what the receipt cost.
          const gasHold = await tx.fundReservation.findUnique({ where: { payoutId: gasReservationKey(payoutId) } });
          if (gasHold?.state === 'held') {
            await tx.fundReservation.update({ where: { payoutId: gasHold.payoutId }, data: { state: 'released', updatedAt: new Date() } });
            const at = { wallet: treasury, network: payout.network, asset: native.symbol };
            await postEntry(tx, gasHoldReleaseEntry(payoutId, at, decimalToBigint(gasHold.amount)!), context);
          }
          // Payouts reserved before the ledger existed have no reservation entry: nothing to settle against.
          const reserved = await tx.journalEntry.findUnique({ where: { id: `payout:${payoutId}:reserve` }, select: { id: true } });
          if (reserved) {
            const entries = outcome === 'consumed' && minedHash ? settlementEntries(amounts, minedHash) : [releaseEntry(amounts)];
            for (const entry of entries) await postEntry(tx, entry, context);
          }
          if (receipt) {
            const fee = receipt.gasUsed * receipt.effectiveGasPrice;
            const at = { wallet: treasury, network: payout.network, asset: native.symbol };
            await postEntry(tx, gasEntry(payoutId, at, fee, receipt.transactionHash), context);
          }
          // Free funds changed: a release can re-arm the alert, gas or a conversion's send can trip it.
          for (const asset of new Set([amounts.debit.asset, amounts.sent.asset, native.symbol])) {
            await evaluateBalanceAlert(tx, { wallet: treasury, network: payout.network, asset }, thresholds);
          }
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
    },
  };
}
