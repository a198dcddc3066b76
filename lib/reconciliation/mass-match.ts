/**
 * Mass payouts against the chain and the ledger, without I/O (the facts come from mass-facts.ts).
 *
 * - `checkDelivery`: one settled delivery (one on-chain transaction). A completed one must have a successful
 *   transaction of its own, sent by the treasury, whose payments are, as a multiset of (recipient, amount), exactly
 *   its completed items: the ERC-20 Transfer logs out of the treasury in the asset's token (batch: transferFrom per
 *   recipient; single: one transfer), the payEth calldata of an ETH batch (no per-recipient event exists; the call
 *   succeeded, so it paid what it asked, and its value must be the sum), or the plain transfer of a single ETH item.
 *   Every item it pays must be completed, and the ledger's settle entry must be the sum of those items. An unpaid
 *   (reverted or failed) delivery must have no completed item, no settle entry and no successful transaction.
 *   All of that is one batch_item_mismatch per delivery; gas (receipt vs delivery vs ledger) is a fee_mismatch.
 * - `checkMassPayout`: a finished mass payout as a whole: no item completed without a delivery that paid it,
 *   no item left unfinished without a delivery, and the ledger's reserve = settled + released.
 *
 * Amounts in evidence are integer strings of base units; long lists in evidence are cut to EVIDENCE_LIST entries
 * (with their full counts), so a 500-recipient disagreement stays a readable exception and a small outbox event.
 */
import { decodeFunctionData, type Hex } from 'viem';
import { batchTransferAbi } from '../../contracts/artifacts/BatchTransfer';
import type { ExceptionCategory } from '../../domain/reconciliation';
import type { MassPayoutItemStatus, MassPayoutStatus } from '../../domain/mass-payout';
import { minedAttempt } from './match';
import type { Finding, MinedCall } from './types';

export const EVIDENCE_LIST = 20;
const FINAL_ITEM: readonly MassPayoutItemStatus[] = ['completed', 'failed', 'canceled', 'expired'];

export interface DeliveryItem {
  seq: number;
  /** Lowercase. */
  address: string;
  amount: bigint;
  status: MassPayoutItemStatus;
  /** Lowercase. */
  txHash: string | null;
}

export interface DeliveryFacts {
  delivery: {
    id: string;
    massPayoutId: string;
    accountId: string;
    mode: 'batch' | 'single' | 'allowance';
    state: 'signed' | 'completed' | 'reverted' | 'failed';
    itemCount: number;
    totalAmount: bigint;
    /** Lowercase: the mined hash once settled. */
    txHash: string | null;
    networkFee: bigint | null;
  };
  asset: string;
  /** The asset's ERC-20 contract (lowercase); null for the native asset. */
  token: string | null;
  /** The network's BatchTransfer (lowercase), if configured. */
  batchContract: string | null;
  /** The treasury wallet (lowercase). */
  wallet: string;
  /** Every signed variant of the delivery's transaction (lowercase hashes). */
  attempts: { hash: string; kind: 'transfer' | 'cancel' }[];
  /** What the chain has for the delivery's hash and its attempts; a hash not in the map is not on chain. */
  chain: ReadonlyMap<string, MinedCall>;
  /** Every item whose delivery_id is this delivery. */
  items: DeliveryItem[];
  ledger: {
    settle: { amount: bigint; txHash: string | null } | null;
    gas: { amount: bigint; txHash: string | null } | null;
  };
  safeHead: bigint;
}

export type DeliveryCheck = { kind: 'defer'; reason: string } | { kind: 'checked'; findings: Finding[] };

interface Payment {
  to: string;
  amount: bigint;
  /** Where the chain says it: a log index or a calldata position. */
  source: string;
}

const cut = <T>(list: readonly T[]) => list.slice(0, EVIDENCE_LIST);

/** Problems of one category about one subject; they become one finding. */
class Problems {
  readonly byCategory = new Map<ExceptionCategory, { problems: string[]; extra: Record<string, unknown> }>();

  add(category: ExceptionCategory, problem: string, extra: Record<string, unknown> = {}): void {
    const entry = this.byCategory.get(category) ?? { problems: [], extra: {} };
    entry.problems.push(problem);
    Object.assign(entry.extra, extra);
    this.byCategory.set(category, entry);
  }
}

function compactTransaction(tx: MinedCall) {
  return {
    hash: tx.hash,
    block_number: tx.blockNumber.toString(),
    from: tx.from,
    to: tx.to,
    nonce: tx.nonce,
    value_wei: tx.value.toString(),
    status: tx.status,
    fee_wei: tx.fee.toString(),
    token_transfers_out_of_wallet: tx.tokenTransfers.length,
  };
}

/**
 * What the transaction paid, as (recipient, amount) pairs, with the problems of its shape (wrong contract, stray
 * value, other tokens). null when the payments cannot be read at all (calldata that is not a payEth call).
 */
function paymentsOf(facts: DeliveryFacts, tx: MinedCall, found: Problems): Payment[] | null {
  const { delivery, token, batchContract } = facts;
  const mismatch = (problem: string) => found.add('batch_item_mismatch', problem);
  // For an ETH delivery every token transfer out of the treasury is stray.
  const strayTokens = tx.tokenTransfers.filter((t) => t.token !== token);
  if (strayTokens.length > 0) {
    mismatch(
      `the transaction also moved ${strayTokens.length} transfer(s) of ${token ? 'other tokens' : 'tokens'} out of the treasury ` +
        `(${cut(strayTokens)
          .map((t) => `${t.value} units of ${t.token} to ${t.to}`)
          .join(', ')})`,
    );
  }
  if (delivery.mode === 'allowance') {
    if (tx.value !== 0n) mismatch(`the allowance transaction also sent ${tx.value} wei`);
    const moved = tx.tokenTransfers.length - strayTokens.length;
    if (moved > 0) mismatch(`the allowance transaction moved ${moved} transfer(s) of ${facts.asset} out of the treasury`);
    return [];
  }
  if (token !== null) {
    const target = delivery.mode === 'batch' ? batchContract : token;
    if (tx.to !== target)
      mismatch(`the transaction called ${tx.to}, expected ${delivery.mode === 'batch' ? 'BatchTransfer' : 'the token'} ${target}`);
    if (tx.value !== 0n) mismatch(`the transaction also sent ${tx.value} wei`);
    return tx.tokenTransfers.filter((t) => t.token === token).map((t) => ({ to: t.to, amount: t.value, source: `log ${t.logIndex}` }));
  }
  if (delivery.mode === 'single') return tx.to === null ? [] : [{ to: tx.to, amount: tx.value, source: 'transaction value' }];
  if (tx.to !== batchContract) mismatch(`the transaction called ${tx.to}, expected BatchTransfer ${batchContract}`);
  let call: ReturnType<typeof decodeFunctionData<typeof batchTransferAbi>>;
  try {
    call = decodeFunctionData({ abi: batchTransferAbi, data: tx.input as Hex });
  } catch {
    mismatch(`the transaction's calldata is not a BatchTransfer call (${tx.input.slice(0, 10)})`);
    return null;
  }
  if (call.functionName !== 'payEth') {
    mismatch(`the transaction called BatchTransfer.${call.functionName}, expected payEth`);
    return null;
  }
  const [recipients, amounts] = call.args;
  if (recipients.length !== amounts.length)
    mismatch(`payEth was called with ${recipients.length} recipients and ${amounts.length} amounts`);
  const sum = amounts.reduce((total, units) => total + units, 0n);
  if (tx.value !== sum) mismatch(`the transaction sent ${tx.value} wei but its payEth amounts sum to ${sum}`);
  return recipients.map((to, i) => ({ to: to.toLowerCase(), amount: amounts[i] ?? 0n, source: `payEth #${i}` }));
}

/**
 * Completed items against what the chain paid, as multisets of (recipient, amount). An item and a payment left
 * over with the same recipient (or else the same amount) are reported as one difference: "the chain paid X, the
 * item says Y"; the rest are items nothing paid and payments no item explains.
 */
export function comparePayments(items: readonly DeliveryItem[], payments: readonly Payment[]) {
  const key = (to: string, amount: bigint) => `${to}:${amount}`;
  const waiting = new Map<string, DeliveryItem[]>();
  for (const item of items) waiting.set(key(item.address, item.amount), [...(waiting.get(key(item.address, item.amount)) ?? []), item]);
  let unexplained: Payment[] = [];
  for (const payment of payments) {
    const queue = waiting.get(key(payment.to, payment.amount));
    if (queue && queue.length > 0) queue.shift();
    else unexplained.push(payment);
  }
  let unpaid = [...waiting.values()].flat().sort((a, b) => a.seq - b.seq);
  const differences: { item: DeliveryItem; payment: Payment }[] = [];
  for (const same of [(i: DeliveryItem, p: Payment) => i.address === p.to, (i: DeliveryItem, p: Payment) => i.amount === p.amount]) {
    const still: DeliveryItem[] = [];
    for (const item of unpaid) {
      const index = unexplained.findIndex((payment) => same(item, payment));
      if (index < 0) {
        still.push(item);
        continue;
      }
      differences.push({ item, payment: unexplained[index]! });
      unexplained = unexplained.filter((_, i) => i !== index);
    }
    unpaid = still;
  }
  differences.sort((a, b) => a.item.seq - b.item.seq);
  return { differences, unpaid, unexplained };
}

function checkPaid(facts: DeliveryFacts, found: Problems): void {
  const { delivery, ledger } = facts;
  const mismatch = (problem: string, extra: Record<string, unknown> = {}) => found.add('batch_item_mismatch', problem, extra);
  const completed = facts.items.filter((item) => item.status === 'completed');
  const paidUnits = completed.reduce((sum, item) => sum + item.amount, 0n);

  // The items' side.
  const notCompleted = facts.items.filter((item) => item.status !== 'completed');
  if (notCompleted.length > 0) {
    const unfinished = notCompleted.filter((item) => !FINAL_ITEM.includes(item.status));
    mismatch(
      `${notCompleted.length} item(s) of the completed delivery are not completed` +
        (unfinished.length ? ` (${unfinished.length} not even final)` : '') +
        `: ${cut(notCompleted)
          .map((item) => `seq ${item.seq} is ${item.status}`)
          .join(', ')}`,
      { items_not_completed: cut(notCompleted).map((item) => ({ seq: item.seq, status: item.status })) },
    );
  }
  if (delivery.mode !== 'allowance' && facts.items.length !== delivery.itemCount)
    mismatch(`the delivery was signed for ${delivery.itemCount} item(s), ${facts.items.length} item(s) name it`);
  const otherHash = completed.filter((item) => item.txHash !== delivery.txHash);
  if (otherHash.length > 0) {
    mismatch(
      `${otherHash.length} completed item(s) record another transaction than the delivery's: ` +
        cut(otherHash)
          .map((item) => `seq ${item.seq} says ${item.txHash}`)
          .join(', '),
    );
  }

  // The chain's side.
  const txHash = delivery.txHash;
  const tx = txHash ? facts.chain.get(txHash) : undefined;
  if (!txHash) mismatch('the delivery is completed but records no transaction hash');
  else if (!tx) mismatch(`transaction ${txHash} is not on chain`);
  else if (tx.status !== 'success') mismatch(`transaction ${txHash} reverted in block ${tx.blockNumber}: nothing was paid`);
  else if (tx.from !== facts.wallet) mismatch(`transaction ${txHash} was sent by ${tx.from}, not by the treasury ${facts.wallet}`);
  else if (!facts.attempts.some((attempt) => attempt.hash === txHash && attempt.kind === 'transfer'))
    mismatch(`transaction ${txHash} is not one of the delivery's signed transfers`);
  else {
    const payments = paymentsOf(facts, tx, found);
    if (payments) {
      const { differences, unpaid, unexplained } = comparePayments(completed, payments);
      const described = [
        ...differences.map(
          ({ item, payment }) =>
            `item seq ${item.seq}: the chain paid ${payment.amount} to ${payment.to} (${payment.source}), the item says ${item.amount} to ${item.address}`,
        ),
        ...unpaid.map((item) => `item seq ${item.seq} (${item.amount} to ${item.address}) was not paid by the transaction`),
        ...unexplained.map(
          (payment) => `the transaction paid ${payment.amount} to ${payment.to} (${payment.source}), which no item explains`,
        ),
      ];
      if (described.length > 0) {
        mismatch(
          `${described.length} difference(s) between the chain and the completed items: ${cut(described).join('; ')}` +
            (described.length > EVIDENCE_LIST ? ` (and ${described.length - EVIDENCE_LIST} more)` : ''),
          {
            differences: {
              items_compared: completed.length,
              payments_on_chain: payments.length,
              changed: differences.length,
              not_paid: unpaid.length,
              not_explained: unexplained.length,
              changed_items: cut(differences).map(({ item, payment }) => ({
                seq: item.seq,
                expected: { to: item.address, amount_units: item.amount.toString() },
                found: { to: payment.to, amount_units: payment.amount.toString(), source: payment.source },
              })),
              items_not_paid: cut(unpaid).map((item) => ({ seq: item.seq, to: item.address, amount_units: item.amount.toString() })),
              payments_not_explained: cut(unexplained).map((payment) => ({
                to: payment.to,
                amount_units: payment.amount.toString(),
                source: payment.source,
              })),
            },
          },
        );
      }
    }
  }

  // The ledger's side: the settlement is what the items say was paid.
  if (delivery.mode === 'allowance') return;
  if (!ledger.settle) mismatch(`the ledger has no settle entry for the delivery; its completed items total ${paidUnits}`);
  else {
    if (ledger.settle.amount !== paidUnits)
      mismatch(`the ledger settled ${ledger.settle.amount} for the delivery; its completed items total ${paidUnits}`);
    if (txHash && ledger.settle.txHash !== txHash)
      mismatch(`the ledger's settle entry names transaction ${ledger.settle.txHash}, not ${txHash}`);
  }
}

function checkUnpaid(facts: DeliveryFacts, found: Problems): void {
  const { delivery, ledger } = facts;
  const mismatch = (problem: string, extra: Record<string, unknown> = {}) => found.add('batch_item_mismatch', problem, extra);
  const completed = facts.items.filter((item) => item.status === 'completed');
  if (completed.length > 0) {
    mismatch(
      `${completed.length} item(s) are completed but their delivery is ${delivery.state}: ` +
        cut(completed)
          .map((item) => `seq ${item.seq}`)
          .join(', '),
      { items_completed: cut(completed).map((item) => ({ seq: item.seq, to: item.address, amount_units: item.amount.toString() })) },
    );
  }
  const unfinished = facts.items.filter((item) => !FINAL_ITEM.includes(item.status));
  if (unfinished.length > 0) {
    mismatch(
      `${unfinished.length} item(s) of the ${delivery.state} delivery are not final: ` +
        cut(unfinished)
          .map((item) => `seq ${item.seq} is ${item.status}`)
          .join(', '),
    );
  }
  for (const attempt of facts.attempts) {
    const tx = facts.chain.get(attempt.hash);
    if (attempt.kind === 'transfer' && tx?.status === 'success' && tx.from === facts.wallet)
      mismatch(
        `the chain has the delivery's transaction ${tx.hash} mined in block ${tx.blockNumber}, but the delivery is ${delivery.state}`,
      );
  }
  if (ledger.settle) mismatch(`the delivery is ${delivery.state} but the ledger settled ${ledger.settle.amount} for it`);
}

const minedDeliveryAttempt = (facts: DeliveryFacts) => minedAttempt(facts.delivery.txHash, facts.attempts, facts.chain);

function checkFees(facts: DeliveryFacts, found: Problems): void {
  const { delivery, ledger } = facts;
  const tx = minedDeliveryAttempt(facts);
  if (!tx) return;
  const paid = { receipt_fee_wei: tx.fee.toString(), mined_tx_hash: tx.hash };
  if (delivery.networkFee === null) found.add('fee_mismatch', `the delivery records no network fee; the chain charged ${tx.fee} wei`, paid);
  else if (delivery.networkFee !== tx.fee)
    found.add('fee_mismatch', `the delivery records a network fee of ${delivery.networkFee} wei; the chain charged ${tx.fee} wei`, paid);
  if (!ledger.gas) found.add('fee_mismatch', `the ledger has no gas entry for the delivery; the chain charged ${tx.fee} wei`, paid);
  else if (ledger.gas.amount !== tx.fee)
    found.add('fee_mismatch', `the ledger's gas entry is ${ledger.gas.amount} wei; the chain charged ${tx.fee} wei`, paid);
}

export function checkDelivery(facts: DeliveryFacts): DeliveryCheck {
  const { delivery } = facts;
  const recent = [...facts.chain.values()].find((tx) => tx.blockNumber > facts.safeHead);
  if (recent) return { kind: 'defer', reason: `transaction ${recent.hash} in block ${recent.blockNumber} is not final yet` };
  const found = new Problems();
  if (delivery.state === 'completed') checkPaid(facts, found);
  else if (delivery.state === 'reverted' || delivery.state === 'failed') checkUnpaid(facts, found);
  else return { kind: 'checked', findings: [] }; // signed: the chain has not decided it yet
  checkFees(facts, found);
  const tx = delivery.txHash ? facts.chain.get(delivery.txHash) : undefined;
  const base = {
    wallet: facts.wallet,
    mass_payout_id: delivery.massPayoutId,
    delivery: {
      id: delivery.id,
      mode: delivery.mode,
      state: delivery.state,
      item_count: delivery.itemCount,
      total_units: delivery.totalAmount.toString(),
      tx_hash: delivery.txHash,
      network_fee_wei: delivery.networkFee?.toString() ?? null,
    },
    asset: facts.asset,
    token: facts.token,
    batch_contract: facts.batchContract,
    attempts: facts.attempts,
    transaction: tx ? compactTransaction(tx) : null,
    ledger: {
      settle_units: facts.ledger.settle?.amount.toString() ?? null,
      settle_tx_hash: facts.ledger.settle?.txHash ?? null,
      gas_wei: facts.ledger.gas?.amount.toString() ?? null,
    },
  };
  const findings = [...found.byCategory].map(([category, { problems, extra }]) => ({
    category,
    subject: delivery.id,
    accountId: delivery.accountId,
    // The mass payout's id, as on its journal entries: GET /v1/reconciliation/exceptions?payout_id=<mass payout> finds them.
    payoutId: delivery.massPayoutId,
    txHash: delivery.txHash,
    summary:
      `mass payout ${delivery.massPayoutId}, delivery ${delivery.id} (${delivery.mode}, ${delivery.state}` +
      `${delivery.txHash ? `, tx ${delivery.txHash}` : ''}): ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
    evidence: { problems, ...base, ...extra },
  }));
  return { kind: 'checked', findings };
}

// ---------------------------------------------------------------------------------------------
// The mass payout as a whole

export interface MassPayoutFacts {
  mass: { id: string; accountId: string; status: MassPayoutStatus; asset: string; totalAmount: bigint };
  wallet: string;
  /** Items completed although no delivery of theirs exists (none named, or one that is not in the table). */
  completedWithoutDelivery: { count: number; sample: { seq: number; address: string; amount: bigint; deliveryId: string | null }[] };
  /** Items not final although the batch is, and never given to a delivery. */
  unfinishedWithoutDelivery: { count: number; sample: { seq: number; status: MassPayoutItemStatus }[] };
  /** The positive side of each entry, base units; null when the entry does not exist. */
  ledger: { reserved: bigint | null; settled: bigint; settleEntries: number; released: bigint | null };
}

export function checkMassPayout(facts: MassPayoutFacts): Finding[] {
  const { mass, ledger } = facts;
  const problems: string[] = [];
  const extra: Record<string, unknown> = {};
  if (facts.completedWithoutDelivery.count > 0) {
    problems.push(
      `${facts.completedWithoutDelivery.count} item(s) are completed but no delivery paid them: ` +
        facts.completedWithoutDelivery.sample
          .map((item) => `seq ${item.seq} (${item.amount} to ${item.address}, delivery ${item.deliveryId ?? 'none'})`)
          .join(', '),
    );
    extra.items_completed_without_delivery = facts.completedWithoutDelivery.sample.map((item) => ({
      seq: item.seq,
      to: item.address,
      amount_units: item.amount.toString(),
      delivery_id: item.deliveryId,
    }));
  }
  if (facts.unfinishedWithoutDelivery.count > 0) {
    problems.push(
      `the mass payout is ${mass.status} but ${facts.unfinishedWithoutDelivery.count} item(s) never sent are not final: ` +
        facts.unfinishedWithoutDelivery.sample.map((item) => `seq ${item.seq} is ${item.status}`).join(', '),
    );
  }
  if (ledger.reserved === null) {
    if (ledger.settled > 0n || ledger.released !== null)
      problems.push(`the ledger settled ${ledger.settled} and released ${ledger.released ?? 0n} but never reserved the mass payout`);
  } else {
    if (ledger.reserved !== mass.totalAmount)
      problems.push(`the ledger reserved ${ledger.reserved}; the mass payout's total is ${mass.totalAmount}`);
    const left = ledger.reserved - ledger.settled - (ledger.released ?? 0n);
    if (left !== 0n)
      problems.push(
        `the ledger reserved ${ledger.reserved}, settled ${ledger.settled} over ${ledger.settleEntries} deliveries and released ` +
          `${ledger.released ?? 0n}: ${left} is ${left > 0n ? 'still held' : 'over-spent'} after the mass payout ended`,
      );
  }
  if (problems.length === 0) return [];
  return [
    {
      category: 'batch_item_mismatch',
      subject: mass.id,
      accountId: mass.accountId,
      payoutId: mass.id,
      txHash: null,
      summary: `mass payout ${mass.id} (${mass.status}): ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      evidence: {
        problems,
        wallet: facts.wallet,
        mass_payout: { id: mass.id, status: mass.status, asset: mass.asset, total_units: mass.totalAmount.toString() },
        ledger: {
          reserved_units: ledger.reserved?.toString() ?? null,
          settled_units: ledger.settled.toString(),
          settle_entries: ledger.settleEntries,
          released_units: ledger.released?.toString() ?? null,
        },
        ...extra,
      },
    },
  ];
}
