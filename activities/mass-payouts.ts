/**
 * A mass payout's side effects: the batch's read model and items, its one funds reservation,
 * how its items are cut into chunks, and each chunk's delivery (simulate, split out what would
 * revert, sign with a nonce of its own, settle when the chain confirms). Broadcast, fee bumps,
 * rebroadcast and confirmations are the delivery layer's (activities/delivery/transfer.ts), keyed by the
 * delivery id. Every activity here is idempotent: Temporal runs them at least once.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeFunctionData,
  erc20Abi,
  maxUint256,
  type Address,
  type Hex,
} from 'viem';
import { batchTransferAbi } from '../contracts/artifacts/BatchTransfer';
import { batchGas, MEASURED_BATCH_GAS, maxRecipientsPerBatch, type BatchKind } from '../contracts/batch-size';
import type { LowBalanceThreshold } from '../domain/balance-alerts';
import { deliveryGasEntry, massDeliverySettlementEntry, massReleaseEntry, massReservationEntry, type WalletAsset } from '../domain/ledger';
import {
  allowanceDeliveryId,
  batchDeliveryId,
  massReservationKey,
  singleDeliveryId,
  SINGLE_MODE_CHUNK_ITEMS,
  summarizeFinalStatus,
  type DeliveryMode,
  type ItemCounts,
  type MassPayoutItemStatus,
  type MassPayoutStatus,
} from '../domain/mass-payout';
import { formatAmount } from '../domain/money';
import type { AssetDefinition, NetworkRegistry } from '../domain/networks';
import type { PayoutFailure } from '../domain/payout';
import type { ChainClients } from '../lib/chain';
import { onChainBalance } from '../lib/chain';
import type { MassPayoutSettings } from '../lib/config';
import { decimalToBigint, type Db } from '../lib/db';
import { evaluateBalanceAlert } from '../lib/ledger/balance-alerts';
import { lockWalletAsset, postEntry } from '../lib/ledger/post';
import type { TransactionSigner } from '../lib/signer';
import { heldUnits as heldUnitsAt, recordArrivedFunds, syncArrivedFunds, workflowRunId } from './funds';
import { signAndStoreDelivery, type DeliveryCall } from './delivery/sign';
import { tokenErrorsAbi } from './delivery/token-errors';
import type { ConfirmationOutcome, ReserveResult } from './types';

/** Errors a token can revert with (ERC-6093 and the test token's blocklist), to name a split-out item's reason. */
const GAS_LIMIT_HEADROOM_PERCENT = 20n;
/** Heartbeats when run as an activity (a killed worker's attempt is then retried within the heartbeat timeout). */
function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not in an activity (a test calling the function directly)
  }
}
const withHeadroom = (gas: bigint) => (gas * (100n + GAS_LIMIT_HEADROOM_PERCENT) + 99n) / 100n;

export interface MassStateUpdate {
  massPayoutId: string;
  status: MassPayoutStatus;
  approvedBy: string[];
  /** Workflow time of the change (ISO). */
  at: string;
  failure?: PayoutFailure;
}

export interface DeliveryPlan {
  mode: DeliveryMode;
  chunkCount: number;
  chunkSize: number;
}

export type ChunkPrepareResult =
  { ok: true; deliveryId: string | null; items: number; splitOut: number } | { ok: false; failure: PayoutFailure };

export interface DeliverySettlement {
  completed: number;
  failed: number;
  paidUnits: string;
}

export interface MassFinal {
  status: MassPayoutStatus;
  counts: ItemCounts;
  paidUnits: string;
}

interface ItemRow {
  seq: number;
  address: string;
  amount: string;
}

/** Why a simulated batch reverted: an item that cannot be paid, the payer's own problem, or something else. */
type RevertCause = { kind: 'item'; index: number; reason: string } | { kind: 'payer'; reason: string } | { kind: 'other'; reason: string };

function decodeTokenReason(data: Hex): string {
  if (data === '0x') return 'the token returned false';
  try {
    const decoded = decodeErrorResult({ abi: tokenErrorsAbi, data });
    return `${decoded.errorName}(${(decoded.args ?? []).join(', ')})`;
  } catch {
    return `the token reverted with ${data.slice(0, 74)}`;
  }
}

/** Reads a BatchTransfer revert; undefined when the error is not a revert at all (RPC trouble: retry). */
function revertCause(error: unknown, treasury: Address): RevertCause | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) {
    const text = `${error.shortMessage} ${error.details ?? ''}`;
    return /revert/i.test(text) ? { kind: 'other', reason: error.details || error.shortMessage } : undefined;
  }
  const name = reverted.data?.errorName;
  const args = (reverted.data?.args ?? []) as readonly unknown[];
  if (name === 'EthTransferFailed') {
    return {
      kind: 'item',
      index: Number(args[0] as bigint),
      reason: `the recipient ${String(args[1])} rejects ETH (a contract without a payable receive, or one that reverts or runs out of gas)`,
    };
  }
  if (name === 'TokenTransferFailed') {
    const reason = decodeTokenReason(args[2] as Hex);
    // The payer's balance or allowance is short: no item is at fault, the treasury is.
    if (/Insufficient/.test(reason) || reason.toLowerCase().includes(treasury.toLowerCase().slice(2))) return { kind: 'payer', reason };
    return { kind: 'item', index: Number(args[0] as bigint), reason: `the token refused the transfer: ${reason}` };
  }
  return { kind: 'other', reason: name ? `${name}(${args.join(', ')})` : (reverted.reason ?? reverted.shortMessage) };
}

export function massPayoutActivities(deps: {
  db: Db;
  registry: NetworkRegistry;
  chains: ChainClients;
  signer: TransactionSigner;
  settings: MassPayoutSettings;
  lowBalanceThresholds?: readonly LowBalanceThreshold[];
}) {
  const { db, registry, chains, signer, settings } = deps;
  const treasury = signer.address;
  const thresholds = deps.lowBalanceThresholds ?? [];
  const context = () => ({ workflowRunId: workflowRunId() });

  const loadMass = (massPayoutId: string) => db.massPayout.findUniqueOrThrow({ where: { id: massPayoutId } });
  const nativeOf = (network: string): AssetDefinition => registry.network(network).assets.find((asset) => asset.kind === 'native')!;

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

  async function itemCounts(massPayoutId: string): Promise<{ counts: ItemCounts; paidUnits: bigint }> {
    const rows = await db.$queryRaw<{ status: MassPayoutItemStatus; count: bigint; amount: string }[]>`
      SELECT status, COUNT(*) AS count, SUM(amount)::text AS amount FROM mass_payout_items
      WHERE mass_payout_id = ${massPayoutId} GROUP BY status`;
    const counts: ItemCounts = {};
    let paidUnits = 0n;
    for (const row of rows) {
      counts[row.status] = Number(row.count);
      if (row.status === 'completed') paidUnits = BigInt(row.amount);
    }
    return { counts, paidUnits };
  }

  /**
   * Signs one delivery after checking the treasury can pay its gas (and, for ETH, its value), and
   * writes its row (plus `also`: the items it pays) in the transaction that stores the signed bytes.
   */
  async function signDelivery(args: {
    network: string;
    deliveryId: string;
    call: DeliveryCall;
    gasEstimate: bigint;
    delivery: { massPayoutId: string; chunkIndex: number; mode: 'batch' | 'single' | 'allowance'; itemCount: number; totalUnits: bigint };
    also?: (tx: Parameters<Parameters<Db['$transaction']>[0]>[0], txHash: string) => Promise<void>;
  }): Promise<{ ok: true } | { ok: false; failure: PayoutFailure }> {
    const client = chains.client(args.network);
    const gasLimit = withHeadroom(args.gasEstimate);
    const fees = await client.estimateFeesPerGas();
    const nativeBalance = await client.getBalance({ address: treasury });
    const nativeNeeded = gasLimit * fees.maxFeePerGas + args.call.value;
    if (nativeBalance < nativeNeeded) {
      return {
        ok: false,
        failure: {
          code: 'insufficient_gas',
          reason:
            `treasury ${treasury} on ${args.network} holds ${formatAmount(nativeBalance, 18)} ETH but this transaction needs up to ` +
            `${formatAmount(nativeNeeded, 18)} ETH (value plus gas); fund it with ETH and the mass payout resumes`,
        },
      };
    }
    await signAndStoreDelivery(
      { db, chains, signer },
      {
        deliveryId: args.deliveryId,
        network: registry.network(args.network),
        call: args.call,
        gasLimit,
        fees,
        alsoInTransaction: async (tx, { txHash }) => {
          const { totalUnits, ...delivery } = args.delivery;
          await tx.massPayoutDelivery.create({
            data: { id: args.deliveryId, ...delivery, totalAmount: totalUnits.toString(), state: 'signed', txHash },
          });
          await args.also?.(tx, txHash);
        },
      },
    );
    return { ok: true };
  }

  return {
    /**
     * Follows the workflow's status. A terminal batch never changes. Items follow a start
     * (pending_approval -> in_progress) or an end before anything was sent (canceled, expired,
     * failed: every item not yet sent takes the batch's status and reason).
     */
    async recordMassPayoutState(update: MassStateUpdate): Promise<void> {
      const at = new Date(update.at);
      const mass = await loadMass(update.massPayoutId);
      await db.$transaction(
        async (tx) => {
          const { count } = await tx.massPayout.updateMany({
            where: { id: update.massPayoutId, status: { notIn: ['completed', 'partially_completed', 'failed', 'canceled', 'expired'] } },
            data: {
              status: update.status,
              statusChangedAt: at,
              approvedBy: update.approvedBy,
              failureCode: update.failure?.code ?? null,
              failureReason: update.failure?.reason.replaceAll('\u0000', '\ufffd') ?? null,
              ...(['canceled', 'expired', 'failed'].includes(update.status) ? { completedAt: at, attention: null } : {}),
            },
          });
          if (count === 0) return;
          if (update.status === 'in_progress') {
            await tx.$executeRaw`
              UPDATE mass_payout_items SET status = 'in_progress', updated_at = now()
              WHERE mass_payout_id = ${update.massPayoutId} AND status = 'pending_approval'`;
          } else if (update.status === 'canceled' || update.status === 'expired' || update.status === 'failed') {
            await tx.$executeRaw`
              UPDATE mass_payout_items SET status = ${update.status}, failure_code = ${update.failure?.code ?? null},
                failure_reason = ${update.failure?.reason.replaceAll('\u0000', '\ufffd') ?? null}, updated_at = now()
              WHERE mass_payout_id = ${update.massPayoutId} AND status IN ('pending_approval', 'in_progress')`;
            await outbox(tx, mass, `evt_${mass.id}_completed`, 'mass_payout.completed', {
              mass_payout_id: mass.id,
              status: update.status,
              failure: update.failure ?? null,
              at: update.at,
            });
          }
        },
        { timeout: 60_000, maxWait: 30_000 },
      );
    },

    async recordMassAttention(massPayoutId: string, attention: string | null): Promise<void> {
      await db.massPayout.updateMany({
        where: { id: massPayoutId, status: { in: ['pending_approval', 'in_progress'] } },
        data: { attention },
      });
    },

    /**
     * Holds the batch's total against the treasury (one reservation, one ledger entry), after
     * checking the whole batch is covered, gas for every chunk included. Short: a failure the
     * workflow waits on, visibly, until the treasury is funded.
     */
    async reserveMassFunds(massPayoutId: string): Promise<ReserveResult> {
      const mass = await loadMass(massPayoutId);
      const asset = registry.asset(mass.network, mass.asset);
      const native = nativeOf(mass.network);
      const total = decimalToBigint(mass.totalAmount)!;
      const key = massReservationKey(massPayoutId);
      const show = (units: bigint, a: AssetDefinition) => `${formatAmount(units, a.decimals)} ${a.symbol}`;

      // Gas for the whole batch, at today's fees: not reserved (gas is never exact), but a batch
      // that cannot pay for its own chunks should wait for ETH before it starts, not halfway.
      const client = chains.client(mass.network);
      const contract = await batchContract(mass.network);
      const kind: BatchKind = asset.kind === 'native' ? 'eth' : 'erc20';
      const gasUnits = contract
        ? batchGas(mass.itemCount, MEASURED_BATCH_GAS[kind])
        : BigInt(mass.itemCount) * (asset.kind === 'native' ? 21_000n : 65_000n);
      const { maxFeePerGas } = await client.estimateFeesPerGas();
      const gasCost = withHeadroom(gasUnits) * maxFeePerGas;
      // The ledger must know the gas asset's arrivals before this batch posts gas against it.
      if (asset.kind !== 'native') await syncArrivedFunds({ db, chains, treasury, thresholds }, mass.network, native);
      // Read before the locked transaction: a chain call must not hold it open.
      const ethBalance = asset.kind === 'native' ? undefined : await client.getBalance({ address: treasury });

      return db.$transaction(
        async (tx) => {
          const at: WalletAsset = { wallet: treasury, network: mass.network, asset: asset.symbol };
          await lockWalletAsset(tx, at);
          const existing = await tx.fundReservation.findUnique({ where: { payoutId: key } });
          if (existing) return { ok: true, reservedUnits: total.toString() } as const;

          const balance = await recordArrivedFunds(tx, at, () => onChainBalance(chains, mass.network, asset, treasury));
          const heldUnits = await heldUnitsAt(tx, at);
          const available = balance - heldUnits;
          const needed = total + (asset.kind === 'native' ? gasCost : 0n);
          if (available < needed) {
            await evaluateBalanceAlert(tx, at, thresholds, { neededUnits: needed });
            return {
              ok: false,
              failure: {
                code: 'insufficient_funds',
                reason:
                  `treasury ${treasury} on ${mass.network} has ${show(available < 0n ? 0n : available, asset)} available ` +
                  `(${show(balance, asset)} on chain, ${show(heldUnits, asset)} held for other payouts) but this mass payout of ` +
                  `${mass.itemCount} items needs ${show(total, asset)}` +
                  (asset.kind === 'native' ? ` plus about ${show(gasCost, native)} of gas` : '') +
                  `; fund the treasury and it starts`,
              },
            } as const;
          }
          if (ethBalance !== undefined) {
            if (ethBalance < gasCost) {
              return {
                ok: false,
                failure: {
                  code: 'insufficient_gas',
                  reason:
                    `treasury ${treasury} on ${mass.network} holds ${show(ethBalance, native)} but the ${mass.itemCount} items need ` +
                    `about ${show(gasCost, native)} of gas at current fees; fund it with ETH and the mass payout starts`,
                },
              } as const;
            }
          }
          await tx.fundReservation.create({
            data: { payoutId: key, network: mass.network, asset: asset.symbol, wallet: treasury, amount: total.toString(), state: 'held' },
          });
          await postEntry(tx, massReservationEntry(massPayoutId, at, total), context());
          await evaluateBalanceAlert(tx, at, thresholds);
          return { ok: true, reservedUnits: total.toString() } as const;
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
    },

    /**
     * Cuts the items into chunks once: as many recipients per BatchTransfer call as the chunk gas
     * allows (with the 20% head-room every gas limit gets), or SINGLE_MODE_CHUNK_ITEMS items sent
     * one transaction each where the contract is not deployed. Stored, so a retry plans the same.
     */
    async planMassDelivery(massPayoutId: string): Promise<DeliveryPlan> {
      const mass = await loadMass(massPayoutId);
      if (mass.deliveryMode && mass.chunkCount !== null) {
        const size = await db.$queryRaw<{ size: number }[]>`
          SELECT COUNT(*)::int AS size FROM mass_payout_items WHERE mass_payout_id = ${massPayoutId} AND chunk_index = 0`;
        return { mode: mass.deliveryMode as DeliveryMode, chunkCount: mass.chunkCount, chunkSize: size[0]?.size ?? 0 };
      }
      const asset = registry.asset(mass.network, mass.asset);
      const contract = await batchContract(mass.network);
      const mode: DeliveryMode = contract ? 'batch' : 'single';
      let chunkSize =
        mode === 'batch'
          ? maxRecipientsPerBatch(
              asset.kind === 'native' ? 'eth' : 'erc20',
              (settings.chunkGasLimit * 100n) / (100n + GAS_LIMIT_HEADROOM_PERCENT),
            )
          : SINGLE_MODE_CHUNK_ITEMS;
      if (settings.maxChunkItems > 0) chunkSize = Math.min(chunkSize, settings.maxChunkItems);
      if (chunkSize < 1)
        throw ApplicationFailure.nonRetryable(`MASS_PAYOUT_CHUNK_GAS ${settings.chunkGasLimit} fits no recipient`, 'bad_config');
      const chunkCount = Math.ceil(mass.itemCount / chunkSize);
      await db.$transaction(
        async (tx) => {
          await tx.$executeRaw`
            UPDATE mass_payout_items SET chunk_index = seq / ${chunkSize}::int WHERE mass_payout_id = ${massPayoutId}`;
          await tx.massPayout.update({ where: { id: massPayoutId }, data: { deliveryMode: mode, chunkCount } });
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
      return { mode, chunkCount, chunkSize };
    },

    /**
     * ERC-20 batches move tokens with transferFrom, so the treasury approves BatchTransfer once.
     * Unlimited is safe here: the contract only ever moves the caller's own tokens, so only the
     * treasury's own transactions can spend the allowance. Returns the delivery to send, if any.
     */
    async ensureBatchAllowance(massPayoutId: string): Promise<{ deliveryId: string | null }> {
      const deliveryId = allowanceDeliveryId(massPayoutId);
      if (await db.chainTransaction.findUnique({ where: { payoutId: deliveryId } })) return { deliveryId };
      const mass = await loadMass(massPayoutId);
      const asset = registry.asset(mass.network, mass.asset);
      const contract = await batchContract(mass.network);
      if (asset.kind !== 'erc20' || !contract || mass.deliveryMode !== 'batch') return { deliveryId: null };
      const client = chains.client(mass.network);
      const allowance = await client.readContract({
        address: asset.contractAddress!,
        abi: erc20Abi,
        functionName: 'allowance',
        args: [treasury, contract],
      });
      if (allowance >= decimalToBigint(mass.totalAmount)!) return { deliveryId: null };
      const call: DeliveryCall = {
        to: asset.contractAddress!,
        value: 0n,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [contract, maxUint256] }),
      };
      const gasEstimate = await client.estimateGas({ account: treasury, ...call });
      const signed = await signDelivery({
        network: mass.network,
        deliveryId,
        call,
        gasEstimate,
        delivery: { massPayoutId, chunkIndex: -1, mode: 'allowance', itemCount: 0, totalUnits: 0n },
      });
      if (!signed.ok) throw ApplicationFailure.retryable(signed.failure.reason, signed.failure.code);
      return { deliveryId };
    },

    /**
     * Batch mode: simulates the chunk's BatchTransfer call; an item that would revert (a blocked
     * holder, a contract that rejects ETH) is split out and failed with its reason, and the rest
     * simulated again until the call goes through. Then signs it with its own nonce and, in the same
     * database transaction, marks the items it pays `processing`. Already signed: returns it.
     */
    async prepareBatchChunk(massPayoutId: string, chunkIndex: number): Promise<ChunkPrepareResult> {
      const deliveryId = batchDeliveryId(massPayoutId, chunkIndex);
      const existing = await db.massPayoutDelivery.findUnique({ where: { id: deliveryId } });
      if (existing) return { ok: true, deliveryId, items: existing.itemCount, splitOut: 0 };
      const mass = await loadMass(massPayoutId);
      const asset = registry.asset(mass.network, mass.asset);
      const contract = await batchContract(mass.network);
      if (!contract) throw ApplicationFailure.nonRetryable(`BatchTransfer is not deployed on ${mass.network}`, 'no_batch_contract');
      const items = await db.$queryRaw<ItemRow[]>`
        SELECT seq, address, amount::text AS amount FROM mass_payout_items
        WHERE mass_payout_id = ${massPayoutId} AND chunk_index = ${chunkIndex} AND status = 'in_progress' AND delivery_id IS NULL
        ORDER BY seq`;
      const client = chains.client(mass.network);
      const splitOut: { seq: number; reason: string }[] = [];
      let paying = items;
      let gasEstimate = 0n;
      const callFor = (rows: ItemRow[]): DeliveryCall => {
        const recipients = rows.map((row) => row.address as Address);
        const amounts = rows.map((row) => BigInt(row.amount));
        return asset.kind === 'native'
          ? {
              to: contract,
              value: amounts.reduce((sum, units) => sum + units, 0n),
              data: encodeFunctionData({ abi: batchTransferAbi, functionName: 'payEth', args: [recipients, amounts] }),
            }
          : {
              to: contract,
              value: 0n,
              data: encodeFunctionData({
                abi: batchTransferAbi,
                functionName: 'payToken',
                args: [asset.contractAddress!, recipients, amounts],
              }),
            };
      };
      while (paying.length > 0) {
        heartbeat({ chunkIndex, simulating: paying.length, splitOut: splitOut.length });
        const recipients = paying.map((row) => row.address as Address);
        const amounts = paying.map((row) => BigInt(row.amount));
        try {
          gasEstimate =
            asset.kind === 'native'
              ? await client.estimateContractGas({
                  account: treasury,
                  address: contract,
                  abi: batchTransferAbi,
                  functionName: 'payEth',
                  args: [recipients, amounts],
                  value: amounts.reduce((sum, units) => sum + units, 0n),
                })
              : await client.estimateContractGas({
                  account: treasury,
                  address: contract,
                  abi: batchTransferAbi,
                  functionName: 'payToken',
                  args: [asset.contractAddress!, recipients, amounts],
                });
          break;
        } catch (error) {
          const cause = revertCause(error, treasury);
          if (!cause) throw error; // RPC trouble: retry
          if (cause.kind === 'payer') {
            return {
              ok: false,
              failure: {
                code: 'insufficient_funds',
                reason: `the treasury cannot pay chunk ${chunkIndex}: ${cause.reason}; fund the treasury and the mass payout resumes`,
              },
            };
          }
          if (cause.kind === 'other' || cause.index >= paying.length) {
            throw ApplicationFailure.retryable(`chunk ${chunkIndex} simulation reverted: ${cause.reason}`, 'batch_simulation_reverted');
          }
          splitOut.push({ seq: paying[cause.index]!.seq, reason: cause.reason });
          paying = paying.filter((_, index) => index !== cause.index);
        }
      }
      const failSplitOut = async (tx: Parameters<Parameters<Db['$transaction']>[0]>[0]) => {
        for (const item of splitOut) {
          await tx.massPayoutItem.updateMany({
            where: { massPayoutId, seq: item.seq, status: 'in_progress', deliveryId: null },
            data: { status: 'failed', failureCode: 'simulation_reverted', failureReason: item.reason, updatedAt: new Date() },
          });
        }
      };
      if (paying.length === 0) {
        await db.$transaction(failSplitOut, { timeout: 30_000, maxWait: 30_000 });
        return { ok: true, deliveryId: null, items: 0, splitOut: splitOut.length };
      }
      const call = callFor(paying);
      const total = paying.reduce((sum, row) => sum + BigInt(row.amount), 0n);
      const signed = await signDelivery({
        network: mass.network,
        deliveryId,
        call,
        gasEstimate,
        delivery: { massPayoutId, chunkIndex, mode: 'batch', itemCount: paying.length, totalUnits: total },
        also: async (tx, txHash) => {
          await tx.$executeRaw`
            UPDATE mass_payout_items SET status = 'processing', delivery_id = ${deliveryId}, tx_hash = ${txHash}, updated_at = now()
            WHERE mass_payout_id = ${massPayoutId} AND seq = ANY(${paying.map((row) => row.seq)}::int[])`;
          await failSplitOut(tx);
        },
      });
      if (!signed.ok) return signed;
      return { ok: true, deliveryId, items: paying.length, splitOut: splitOut.length };
    },

    /** Single mode: the chunk's items still to send, in order. */
    async listChunkItems(massPayoutId: string, chunkIndex: number): Promise<number[]> {
      const rows = await db.massPayoutItem.findMany({
        where: { massPayoutId, chunkIndex, status: { in: ['in_progress', 'processing'] } },
        select: { seq: true },
        orderBy: { seq: 'asc' },
      });
      return rows.map((row) => row.seq);
    },

    /** Single mode: simulates and signs one item's own transfer; an item that would revert fails alone. */
    async prepareSingleItem(massPayoutId: string, seq: number): Promise<ChunkPrepareResult> {
      const deliveryId = singleDeliveryId(massPayoutId, seq);
      if (await db.massPayoutDelivery.findUnique({ where: { id: deliveryId } })) return { ok: true, deliveryId, items: 1, splitOut: 0 };
      const mass = await loadMass(massPayoutId);
      const item = await db.massPayoutItem.findUniqueOrThrow({ where: { massPayoutId_seq: { massPayoutId, seq } } });
      if (item.status !== 'in_progress') return { ok: true, deliveryId: null, items: 0, splitOut: 0 };
      const asset = registry.asset(mass.network, mass.asset);
      const amount = decimalToBigint(item.amount)!;
      const to = item.address as Address;
      const call: DeliveryCall =
        asset.kind === 'native'
          ? { to, value: amount }
          : {
              to: asset.contractAddress!,
              value: 0n,
              data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] }),
            };
      const client = chains.client(mass.network);
      let gasEstimate: bigint;
      try {
        if (asset.kind === 'erc20') {
          await client.simulateContract({
            account: treasury,
            address: asset.contractAddress!,
            abi: tokenErrorsAbi,
            functionName: 'transfer',
            args: [to, amount],
          });
        }
        gasEstimate = await client.estimateGas({ account: treasury, ...call });
      } catch (error) {
        if (!(error instanceof BaseError) || !/revert/i.test(`${error.shortMessage} ${error.details ?? ''} ${error.message}`)) throw error;
        const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
        const reason =
          reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName
            ? `${reverted.data.errorName}(${(reverted.data.args ?? []).join(', ')})`
            : error.details || error.shortMessage;
        if (/Insufficient/.test(reason))
          return {
            ok: false,
            failure: { code: 'insufficient_funds', reason: `the treasury cannot pay item ${seq}: ${reason}; fund the treasury` },
          };
        await db.massPayoutItem.updateMany({
          where: { massPayoutId, seq, status: 'in_progress', deliveryId: null },
          data: { status: 'failed', failureCode: 'simulation_reverted', failureReason: `the transfer would revert: ${reason}` },
        });
        return { ok: true, deliveryId: null, items: 0, splitOut: 1 };
      }
      const signed = await signDelivery({
        network: mass.network,
        deliveryId,
        call,
        gasEstimate,
        delivery: { massPayoutId, chunkIndex: item.chunkIndex ?? 0, mode: 'single', itemCount: 1, totalUnits: amount },
        also: async (tx, txHash) => {
          await tx.massPayoutItem.update({
            where: { massPayoutId_seq: { massPayoutId, seq } },
            data: { status: 'processing', deliveryId, txHash, updatedAt: new Date() },
          });
        },
      });
      if (!signed.ok) return signed;
      return { ok: true, deliveryId, items: 1, splitOut: 0 };
    },

    /**
     * The chain decided a delivery: its items completed (or failed, if it reverted or its nonce
     * went to another transaction), what it paid settled out of the reservation, and the gas its
     * mined transaction cost posted. Idempotent: only a `signed` delivery changes.
     */
    async settleMassDelivery(deliveryId: string, outcome: ConfirmationOutcome): Promise<DeliverySettlement> {
      const delivery = await db.massPayoutDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
      const mass = await loadMass(delivery.massPayoutId);
      const native = nativeOf(mass.network);
      const receipt = outcome.chain
        ? await chains.client(mass.network).getTransactionReceipt({ hash: outcome.chain.txHash as Hex })
        : undefined;
      const paid = outcome.status === 'success' && outcome.kind !== 'cancel';
      const failure: PayoutFailure | undefined = paid
        ? undefined
        : outcome.status === 'nonce_conflict'
          ? {
              code: 'nonce_conflict',
              reason: `another transaction from the treasury used this delivery's nonce; the items were not paid by it`,
            }
          : outcome.refused
            ? {
                code: 'broadcast_refused',
                reason: `${outcome.refused}; the items were not paid: zero-value transaction ${outcome.chain?.txHash} filled the nonce`,
              }
            : {
                code: 'transaction_reverted',
                reason: `transaction ${outcome.chain?.txHash} reverted on chain; the items were not paid (gas was)`,
              };
      const result = await db.$transaction(
        async (tx) => {
          const { count } = await tx.massPayoutDelivery.updateMany({
            where: { id: deliveryId, state: 'signed' },
            data: {
              state: paid ? 'completed' : outcome.status === 'reverted' ? 'reverted' : 'failed',
              txHash: outcome.chain?.txHash ?? delivery.txHash,
              gasUsed: outcome.chain?.gasUsed ?? null,
              networkFee: outcome.chain?.networkFee ?? null,
              settledAt: new Date(),
            },
          });
          if (count === 0) return undefined;
          const total = decimalToBigint(delivery.totalAmount)!;
          const at: WalletAsset = { wallet: treasury, network: mass.network, asset: mass.asset };
          if (paid) {
            await tx.$executeRaw`
              UPDATE mass_payout_items SET status = 'completed', tx_hash = ${outcome.chain!.txHash}, updated_at = now()
              WHERE delivery_id = ${deliveryId} AND status = 'processing'`;
            if (total > 0n) {
              await postEntry(tx, massDeliverySettlementEntry(mass.id, deliveryId, at, total, outcome.chain!.txHash), context());
              // The hold shrinks by what left the wallet, so other payouts see the right free balance.
              // (The hold must stay positive: the last payment consumes it instead of zeroing it.)
              await tx.$executeRaw`
                UPDATE fund_reservations SET
                  amount = CASE WHEN amount > ${total.toString()}::numeric THEN amount - ${total.toString()}::numeric ELSE amount END,
                  state = CASE WHEN amount > ${total.toString()}::numeric THEN 'held' ELSE 'consumed' END,
                  updated_at = now()
                WHERE payout_id = ${massReservationKey(mass.id)} AND state = 'held'`;
            }
          } else {
            await tx.$executeRaw`
              UPDATE mass_payout_items SET status = 'failed', failure_code = ${failure!.code}, failure_reason = ${failure!.reason},
                updated_at = now()
              WHERE delivery_id = ${deliveryId} AND status = 'processing'`;
          }
          if (receipt) {
            const fee = receipt.gasUsed * receipt.effectiveGasPrice;
            const nativeAt: WalletAsset = { wallet: treasury, network: mass.network, asset: native.symbol };
            await postEntry(tx, deliveryGasEntry(mass.id, deliveryId, nativeAt, fee, receipt.transactionHash), context());
          }
          for (const symbol of new Set([mass.asset, native.symbol])) {
            await evaluateBalanceAlert(tx, { wallet: treasury, network: mass.network, asset: symbol }, thresholds);
          }
          if (delivery.mode !== 'allowance') {
            await outbox(tx, mass, `evt_${deliveryId}_settled`, 'mass_payout.progress', {
              mass_payout_id: mass.id,
              delivery_id: deliveryId,
              chunk_index: delivery.chunkIndex,
              items: delivery.itemCount,
              status: paid ? 'completed' : 'failed',
              tx_hash: outcome.chain?.txHash ?? null,
            });
          }
          return {
            completed: paid ? delivery.itemCount : 0,
            failed: paid ? 0 : delivery.itemCount,
            paidUnits: (paid ? total : 0n).toString(),
          };
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
      // Settled before (a retry): report what the items say.
      if (result) return result;
      const items = await db.massPayoutItem.groupBy({ by: ['status'], where: { deliveryId }, _count: true });
      const completed = items.find((row) => row.status === 'completed')?._count ?? 0;
      return {
        completed,
        failed: items.find((row) => row.status === 'failed')?._count ?? 0,
        paidUnits: (completed > 0 ? decimalToBigint(delivery.totalAmount)! : 0n).toString(),
      };
    },

    /**
     * Fails the chunk's items not yet sent, with the reason (the treasury stayed short until
     * the funding timeout). Items already sent are not touched: the chain decides those.
     */
    async failUnsentChunkItems(massPayoutId: string, chunkIndex: number, failure: PayoutFailure): Promise<number> {
      const { count } = await db.massPayoutItem.updateMany({
        where: { massPayoutId, chunkIndex, status: 'in_progress', deliveryId: null },
        data: { status: 'failed', failureCode: failure.code, failureReason: failure.reason, updatedAt: new Date() },
      });
      return count;
    },

    /**
     * Every chunk is done: items never sent (the batch was canceled meanwhile) are canceled, the
     * unpaid part of the reservation is released, and the batch's status summarizes its items.
     */
    async finalizeMassPayout(massPayoutId: string, cancel?: { code: string; reason: string }): Promise<MassFinal> {
      const mass = await loadMass(massPayoutId);
      const terminal = ['completed', 'partially_completed', 'failed', 'canceled', 'expired'];
      if (!terminal.includes(mass.status)) {
        const leftover = cancel ?? { code: 'not_sent', reason: 'the mass payout ended before this item was sent' };
        await db.massPayoutItem.updateMany({
          where: { massPayoutId, status: { in: ['pending_approval', 'in_progress'] }, deliveryId: null },
          data: {
            status: cancel ? 'canceled' : 'failed',
            failureCode: leftover.code,
            failureReason: leftover.reason,
            updatedAt: new Date(),
          },
        });
      }
      const { counts, paidUnits } = await itemCounts(massPayoutId);
      const unfinished = (counts.pending_approval ?? 0) + (counts.in_progress ?? 0) + (counts.processing ?? 0);
      if (unfinished > 0) throw ApplicationFailure.retryable(`${unfinished} items of ${massPayoutId} are not final yet`, 'items_not_final');
      const status = terminal.includes(mass.status) ? (mass.status as MassPayoutStatus) : summarizeFinalStatus(counts);
      const total = decimalToBigint(mass.totalAmount)!;
      const now = new Date();
      await db.$transaction(
        async (tx) => {
          const reservation = await tx.fundReservation.findUnique({ where: { payoutId: massReservationKey(massPayoutId) } });
          if (reservation) {
            if (reservation.state === 'held') {
              await tx.fundReservation.update({
                where: { payoutId: reservation.payoutId },
                data: { state: paidUnits > 0n ? 'consumed' : 'released', updatedAt: now },
              });
            }
            const at: WalletAsset = { wallet: treasury, network: mass.network, asset: mass.asset };
            // Fixed entry id: a retried finalize posts nothing more.
            if (total - paidUnits > 0n) await postEntry(tx, massReleaseEntry(massPayoutId, at, total - paidUnits), context());
            await evaluateBalanceAlert(tx, at, thresholds);
          }
          const { count } = await tx.massPayout.updateMany({
            where: { id: massPayoutId, status: { notIn: terminal } },
            data: { status, statusChangedAt: now, completedAt: now, attention: null },
          });
          if (count > 0) {
            await outbox(tx, mass, `evt_${massPayoutId}_completed`, 'mass_payout.completed', {
              mass_payout_id: massPayoutId,
              status,
              counts,
              paid_amount: paidUnits.toString(),
              at: now.toISOString(),
            });
          }
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
      return { status, counts, paidUnits: paidUnits.toString() };
    },
  };
}

export type MassPayoutActivities = ReturnType<typeof massPayoutActivities>;
