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
  holdEntry,
  holdReleaseEntry,
  releaseEntry,
  reservationEntry,
  settlementEntries,
  type PayoutAmounts,
  type SideHold,
  type WalletAsset,
} from '../domain/ledger';
import { formatAmount } from '../domain/money';
import type { AssetDefinition } from '../domain/networks';
import type { NetworkRegistry } from '../domain/networks';
import { onChainBalance, tokenNotDeployed, type ChainClients } from '../lib/chain';
import { decimalToBigint, type Db } from '../lib/db';
import type { LowBalanceThreshold } from '../domain/balance-alerts';
import { evaluateBalanceAlert } from '../lib/ledger/balance-alerts';
import { inWalletAssetTurn, lockWalletAsset, postEntry, walletView } from '../lib/ledger/post';
import type { Prisma, Payout } from '../generated/prisma/client';
import type { TreasurySigners } from '../lib/signer';
import type { ReserveResult } from './types';
import { transactionFee } from '../domain/network-fee';

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
  const at = { wallet: deps.treasury, network, asset: asset.symbol };
  return inWalletAssetTurn([at], () =>
    deps.db.$transaction(
      async (tx) => {
        await lockWalletAsset(tx, at);
        await recordArrivedFunds(tx, at, () => onChainBalance(deps.chains, network, asset, deps.treasury));
        await evaluateBalanceAlert(tx, at, deps.thresholds);
      },
      { timeout: 30_000, maxWait: 30_000 },
    ),
  );
}

/** The fund_reservations key of a payout's side hold (its debit's hold is keyed by the payout id itself). */
export const sideHoldKey = (payoutId: string, hold: SideHold) => `${hold}:${payoutId}`;
const SIDE_HOLDS: readonly SideHold[] = ['gas', 'sent'];

/** Units held for (network, wallet, asset) by every payout, mass payout and side hold not yet settled. */
export async function heldUnits(tx: Tx, at: WalletAsset): Promise<bigint> {
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
  const native = deps.registry.nativeAsset(network);
  const at = { wallet: deps.treasury, network, asset: native.symbol };
  return inWalletAssetTurn([at], () =>
    deps.db.$transaction(
      async (tx) => {
        await lockWalletAsset(tx, at);
        const key = sideHoldKey(payoutId, 'gas');
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
        await postEntry(tx, holdEntry(payoutId, 'gas', at, units), { workflowRunId: workflowRunId() });
        await evaluateBalanceAlert(tx, at, deps.thresholds ?? []);
        return { ok: true, reservedUnits: units.toString() } as const;
      },
      { timeout: 30_000, maxWait: 30_000 },
    ),
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
  signers: TreasurySigners;
  lowBalanceThresholds?: readonly LowBalanceThreshold[];
}) {
  const { db, registry, chains, signers } = deps;
  const thresholds = deps.lowBalanceThresholds ?? [];
  const treasuryOf = (network: string): Address => signers.forNetwork(network).address;

  const syncArrived = (network: string, asset: AssetDefinition) =>
    syncArrivedFunds({ db, chains, treasury: treasuryOf(network), thresholds }, network, asset);

  return {
    async reserveFunds(payoutId: string): Promise<ReserveResult> {
      const payout = await db.payout.findUniqueOrThrow({ where: { id: payoutId } });
      const treasury = treasuryOf(payout.network);
      const amounts = payoutAmounts(payout, treasury);
      // The debit, and with a conversion the asset it sends too: both leave the wallet.
      const legs = [
        { key: payoutId, asset: registry.asset(payout.network, amounts.debit.asset), units: amounts.debit.units, hold: undefined },
        ...(amounts.sent.asset === amounts.debit.asset
          ? []
          : [
              {
                key: sideHoldKey(payoutId, 'sent'),
                asset: registry.asset(payout.network, amounts.sent.asset),
                units: amounts.sent.units,
                hold: 'sent' as const,
              },
            ]),
      ];
      for (const leg of legs) {
        if (!(await chains.assetDeployed(payout.network, leg.asset)))
          return { ok: false, failure: tokenNotDeployed(payout.network, leg.asset) };
      }
      // The ledger needs the native asset (gas) opened too.
      const native = registry.nativeAsset(payout.network);
      if (!legs.some((leg) => leg.asset.symbol === native.symbol)) await syncArrived(payout.network, native);
      const walletAsset = (symbol: string) => ({ wallet: treasury, network: payout.network, asset: symbol });
      return inWalletAssetTurn(
        legs.map((leg) => walletAsset(leg.asset.symbol)),
        () =>
          db.$transaction(
            async (tx) => {
              // In one order (by asset) whatever the payout's legs, so two conversions in opposite directions cannot deadlock.
              for (const symbol of legs.map((leg) => leg.asset.symbol).sort()) await lockWalletAsset(tx, walletAsset(symbol));
              const existing = await tx.fundReservation.findUnique({ where: { payoutId } });
              if (existing) return { ok: true, reservedUnits: existing.amount.toFixed() } as const;

              for (const leg of legs) {
                const at = walletAsset(leg.asset.symbol);
                const balance = await recordArrivedFunds(tx, at, () => onChainBalance(chains, payout.network, leg.asset, treasury));
                const heldByOthers = await heldUnits(tx, at);
                const available = balance - heldByOthers;
                if (available >= leg.units) continue;
                await evaluateBalanceAlert(tx, at, thresholds, { neededUnits: leg.units });
                const show = (units: bigint) => `${formatAmount(units, leg.asset.decimals)} ${leg.asset.symbol}`;
                return {
                  ok: false,
                  failure: {
                    code: 'insufficient_funds',
                    reason:
                      `treasury ${treasury} on ${payout.network} has ${show(available < 0n ? 0n : available)} available ` +
                      `(${show(balance)} on chain, ${show(heldByOthers)} held for other payouts) but this payout ` +
                      `${leg.hold === 'sent' ? 'sends' : 'needs'} ${show(leg.units)}; fund the treasury and the payout resumes`,
                  },
                } as const;
              }
              const context = { workflowRunId: workflowRunId() };
              for (const leg of legs) {
                const at = walletAsset(leg.asset.symbol);
                await tx.fundReservation.create({
                  data: {
                    payoutId: leg.key,
                    network: payout.network,
                    asset: at.asset,
                    wallet: treasury,
                    amount: leg.units.toString(),
                    state: 'held',
                  },
                });
                await postEntry(tx, leg.hold ? holdEntry(payoutId, leg.hold, at, leg.units) : reservationEntry(amounts), context);
                await evaluateBalanceAlert(tx, at, thresholds);
              }
              return { ok: true, reservedUnits: amounts.debit.units.toString() } as const;
            },
            { timeout: 30_000, maxWait: 30_000 },
          ),
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
      // The wallet owner stored the fee with its verdict; rows finalized before it did are read from the receipt
      // (before the database transaction: a chain call must not hold it open).
      const storedFee = minedHash ? (decimalToBigint(chainTx!.networkFee) ?? undefined) : undefined;
      const fee =
        minedHash && storedFee === undefined
          ? await chains.client(payout.network).getTransactionReceipt({ hash: minedHash }).then(transactionFee)
          : storedFee;
      const native = registry.nativeAsset(payout.network);
      const treasury = treasuryOf(payout.network);
      const amounts = payoutAmounts(payout, treasury);
      const context = { workflowRunId: workflowRunId() };
      await db.$transaction(
        async (tx) => {
          await tx.fundReservation.updateMany({ where: { payoutId, state: 'held' }, data: { state: outcome, updatedAt: new Date() } });
          // Side holds (gas, a conversion's sent asset) always go back whole: the gas and send entries post what left.
          for (const hold of SIDE_HOLDS) {
            const row = await tx.fundReservation.findUnique({ where: { payoutId: sideHoldKey(payoutId, hold) } });
            if (row?.state !== 'held') continue;
            await tx.fundReservation.update({ where: { payoutId: row.payoutId }, data: { state: 'released', updatedAt: new Date() } });
            const at = { wallet: treasury, network: payout.network, asset: row.asset };
            await postEntry(tx, holdReleaseEntry(payoutId, hold, at, decimalToBigint(row.amount)!), context);
          }
          // Payouts reserved before the ledger existed have no reservation entry: nothing to settle against.
          const reserved = await tx.journalEntry.findUnique({ where: { id: `payout:${payoutId}:reserve` }, select: { id: true } });
          if (reserved) {
            const entries = outcome === 'consumed' && minedHash ? settlementEntries(amounts, minedHash) : [releaseEntry(amounts)];
            for (const entry of entries) await postEntry(tx, entry, context);
          }
          if (minedHash && fee !== undefined) {
            const at = { wallet: treasury, network: payout.network, asset: native.symbol };
            await postEntry(tx, gasEntry(payoutId, at, fee, minedHash), context);
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
