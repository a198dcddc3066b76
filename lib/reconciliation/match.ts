/**
 * The matching rules, without I/O: given what the chain says and what the engine says, which
 * mismatches exist. Two directions:
 *
 * - chain -> engine (`matchChainActivity`): every transaction a treasury wallet sent, and every token
 *   Transfer out of it, must be one of the engine's signed attempts, a payout's or a mass-payout delivery's
 *   (unknown_onchain_transfer otherwise);
 * - engine -> chain (`checkPayout`): a finished payout must agree with the chain and the ledger:
 *   a completed payout's transaction is on chain and succeeded (missing_onchain_transfer), moved exactly
 *   the payout's asset and amount to its destination (amount_mismatch), cost what the payout and the
 *   ledger's gas entry say (fee_mismatch); an unpaid payout has no successful transfer on chain, and the
 *   ledger settled or released it to match its status (status_mismatch).
 *
 * One finding per category and subject: several problems of one kind on one payout are one exception.
 * Amounts in evidence are integer strings of base units.
 */
import type { ExceptionCategory } from '../../domain/reconciliation';
import type { PayoutStatus } from '../../domain/statuses';
import type { ChainTransaction, Finding, KnownAttempt, ScannedRange, TokenMovement, TokenTransferLog } from './types';

// ---------------------------------------------------------------------------------------------
// chain -> engine

export interface ChainActivityInput {
  wallet: string;
  scanned: ScannedRange;
  /** The engine's attempts among the scanned hashes, by lowercase hash. */
  known: ReadonlyMap<string, KnownAttempt>;
  /** Registry tokens by lowercase contract address, for readable evidence. */
  tokenSymbols: ReadonlyMap<string, string>;
}

export interface ChainActivityResult {
  /** Transactions and token transfers that are engine attempts. */
  matched: number;
  /** Payouts whose attempts were seen: checked against the chain in the same step. */
  payoutIds: string[];
  findings: Finding[];
}

const movementEvidence = (movement: TokenMovement, symbols: ReadonlyMap<string, string>) => ({
  token: movement.token,
  asset: symbols.get(movement.token) ?? null,
  from: movement.from,
  to: movement.to,
  amount_units: movement.value.toString(),
  log_index: movement.logIndex,
});

export const transactionEvidence = (tx: ChainTransaction, symbols: ReadonlyMap<string, string>) => ({
  hash: tx.hash,
  block_number: tx.blockNumber.toString(),
  from: tx.from,
  to: tx.to,
  nonce: tx.nonce,
  value_wei: tx.value.toString(),
  status: tx.status,
  fee_wei: tx.fee.toString(),
  token_transfers: tx.tokenTransfers.map((movement) => movementEvidence(movement, symbols)),
});

function unknownTransaction(wallet: string, tx: ChainTransaction, symbols: ReadonlyMap<string, string>): Finding {
  const moved = [
    ...(tx.value > 0n ? [`${tx.value} wei to ${tx.to}`] : []),
    ...tx.tokenTransfers.map((t) => `${t.value} units of ${symbols.get(t.token) ?? t.token} to ${t.to}`),
  ];
  return {
    category: 'unknown_onchain_transfer',
    subject: tx.hash,
    accountId: null,
    payoutId: null,
    txHash: tx.hash,
    summary:
      `transaction ${tx.hash} (nonce ${tx.nonce}, block ${tx.blockNumber}) sent by treasury ${wallet} matches no payout attempt` +
      (moved.length ? `; it moved ${moved.join(', ')}` : `; it moved no funds (to ${tx.to ?? 'a new contract'})`),
    evidence: { wallet, transaction: transactionEvidence(tx, symbols) },
  };
}

function unknownTokenTransfers(wallet: string, txHash: string, logs: TokenTransferLog[], symbols: ReadonlyMap<string, string>): Finding {
  return {
    category: 'unknown_onchain_transfer',
    subject: txHash,
    accountId: null,
    payoutId: null,
    txHash,
    summary:
      `transaction ${txHash} (block ${logs[0]!.blockNumber}), not sent by the treasury, moved ` +
      `${logs.map((l) => `${l.value} units of ${symbols.get(l.token) ?? l.token} to ${l.to}`).join(', ')} out of treasury ${wallet} ` +
      '(e.g. transferFrom with an allowance); no payout matches it',
    evidence: {
      wallet,
      transaction: { hash: txHash, block_number: logs[0]!.blockNumber.toString(), sent_by_wallet: false },
      token_transfers: logs.map((log) => movementEvidence(log, symbols)),
    },
  };
}

export function matchChainActivity(input: ChainActivityInput): ChainActivityResult {
  const { wallet, scanned, known, tokenSymbols } = input;
  const findings: Finding[] = [];
  const payoutIds = new Set<string>();
  let matched = 0;
  const sentByWallet = new Set<string>();
  for (const tx of scanned.transactions) {
    sentByWallet.add(tx.hash);
    const attempt = known.get(tx.hash);
    if (attempt) {
      matched++;
      // A mass-payout delivery is judged against its items when it settles (mass-match.ts), not here.
      if (attempt.owner === 'payout') payoutIds.add(attempt.payoutId);
    } else {
      findings.push(unknownTransaction(wallet, tx, tokenSymbols));
    }
  }
  // Token transfers inside the wallet's own transactions were judged with the transaction above.
  const foreign = new Map<string, TokenTransferLog[]>();
  for (const log of scanned.tokenLogs) {
    if (sentByWallet.has(log.txHash)) continue;
    const attempt = known.get(log.txHash);
    if (attempt) {
      matched++;
      if (attempt.owner === 'payout') payoutIds.add(attempt.payoutId);
      continue;
    }
    foreign.set(log.txHash, [...(foreign.get(log.txHash) ?? []), log]);
  }
  for (const [txHash, logs] of foreign) findings.push(unknownTokenTransfers(wallet, txHash, logs, tokenSymbols));
  return { matched, payoutIds: [...payoutIds], findings };
}

// ---------------------------------------------------------------------------------------------
// engine -> chain

export interface PayoutFacts {
  payout: {
    id: string;
    accountId: string;
    status: PayoutStatus;
    asset: string;
    amount: bigint;
    /** Lowercase. */
    destination: string;
    /** Lowercase. */
    txHash: string | null;
    blockNumber: bigint | null;
    networkFee: bigint | null;
  };
  /** The asset's ERC-20 contract (lowercase); null for the native asset. */
  token: string | null;
  /** The treasury wallet that pays it (lowercase). */
  wallet: string;
  /** Every signed variant (transfer, fee bumps, cancellation), lowercase hashes. */
  attempts: { hash: string; kind: 'transfer' | 'cancel' }[];
  /** What the chain has for each attempt and for the payout's tx hash; a hash not in the map is not on chain. */
  chain: ReadonlyMap<string, ChainTransaction>;
  /** The payout's journal entries; `reserved` false means a payout from before the ledger, whose ledger is not checked. */
  ledger: {
    reserved: boolean;
    released: boolean;
    settlement: { txHash: string | null } | null;
    gas: { amount: bigint; txHash: string | null } | null;
  };
  head: bigint;
  /** The last block with the network's confirmations: a later transaction is not judged yet. */
  safeHead: bigint;
  tokenSymbols: ReadonlyMap<string, string>;
}

export type PayoutCheck = { kind: 'defer'; reason: string } | { kind: 'checked'; findings: Finding[] };

const UNPAID: readonly PayoutStatus[] = ['failed', 'canceled', 'expired'];

/** Problems grouped by category, each with the payout's evidence. */
class Problems {
  private readonly byCategory = new Map<ExceptionCategory, { problems: string[]; extra: Record<string, unknown> }>();

  add(category: ExceptionCategory, problem: string, extra: Record<string, unknown> = {}): void {
    const entry = this.byCategory.get(category) ?? { problems: [], extra: {} };
    entry.problems.push(problem);
    Object.assign(entry.extra, extra);
    this.byCategory.set(category, entry);
  }

  findings(facts: PayoutFacts): Finding[] {
    const { payout } = facts;
    return [...this.byCategory].map(([category, { problems, extra }]) => ({
      category,
      subject: payout.id,
      accountId: payout.accountId,
      payoutId: payout.id,
      txHash: payout.txHash,
      summary: `payout ${payout.id} (${payout.status}): ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      evidence: { problems, ...baseEvidence(facts), ...extra },
    }));
  }
}

function baseEvidence(facts: PayoutFacts) {
  const { payout, ledger } = facts;
  return {
    wallet: facts.wallet,
    payout: {
      id: payout.id,
      status: payout.status,
      asset: payout.asset,
      amount_units: payout.amount.toString(),
      destination: payout.destination,
      tx_hash: payout.txHash,
      block_number: payout.blockNumber?.toString() ?? null,
      network_fee_wei: payout.networkFee?.toString() ?? null,
    },
    attempts: facts.attempts,
    chain: [...facts.chain.values()].map((tx) => transactionEvidence(tx, facts.tokenSymbols)),
    ledger: {
      tracked: ledger.reserved,
      released: ledger.released,
      settlement_tx_hash: ledger.settlement?.txHash ?? null,
      settled: ledger.settlement !== null,
      gas_wei: ledger.gas?.amount.toString() ?? null,
      gas_tx_hash: ledger.gas?.txHash ?? null,
    },
    chain_head: facts.head.toString(),
  };
}

/** What the payout's transaction should have moved, against what it did. */
function movementProblems(facts: PayoutFacts, tx: ChainTransaction): string[] {
  const { payout, token } = facts;
  const problems: string[] = [];
  if (token === null) {
    if (tx.to !== payout.destination) problems.push(`the transaction paid ${tx.to}, the payout's destination is ${payout.destination}`);
    if (tx.value !== payout.amount) problems.push(`the transaction sent ${tx.value} wei, the payout's amount is ${payout.amount}`);
    if (tx.tokenTransfers.length > 0)
      problems.push(`the transaction also moved ${tx.tokenTransfers.length} token transfer(s) out of the wallet`);
    return problems;
  }
  if (tx.to !== token) problems.push(`the transaction called ${tx.to}, not the ${payout.asset} contract ${token}`);
  if (tx.value !== 0n) problems.push(`the transaction also sent ${tx.value} wei`);
  const moved = tx.tokenTransfers;
  if (moved.length !== 1) {
    problems.push(`the transaction made ${moved.length} token transfers out of the wallet, expected exactly one`);
    return problems;
  }
  const [transfer] = moved as [TokenMovement];
  if (transfer.token !== token)
    problems.push(`the transaction moved token ${transfer.token}, the payout's asset is ${payout.asset} (${token})`);
  if (transfer.to !== payout.destination)
    problems.push(`${payout.asset} went to ${transfer.to}, the payout's destination is ${payout.destination}`);
  if (transfer.value !== payout.amount)
    problems.push(`${transfer.value} units of ${payout.asset} moved, the payout's amount is ${payout.amount}`);
  return problems;
}

function checkCompleted(facts: PayoutFacts, found: Problems): void {
  const { payout, ledger } = facts;
  const txHash = payout.txHash;
  const tx = txHash ? facts.chain.get(txHash) : undefined;
  if (!txHash) {
    found.add('missing_onchain_transfer', 'the payout is completed but records no transaction hash');
  } else if (!tx) {
    const beyond =
      payout.blockNumber !== null && payout.blockNumber > facts.head
        ? `; it claims block ${payout.blockNumber}, beyond the chain head`
        : '';
    found.add('missing_onchain_transfer', `transaction ${txHash} is not on chain${beyond}`);
  } else if (tx.status !== 'success') {
    found.add('missing_onchain_transfer', `transaction ${txHash} reverted in block ${tx.blockNumber}: nothing was paid`);
  } else if (tx.from !== facts.wallet) {
    found.add('missing_onchain_transfer', `transaction ${txHash} was sent by ${tx.from}, not by the treasury ${facts.wallet}`);
  } else if (facts.attempts.length > 0 && !facts.attempts.some((attempt) => attempt.hash === txHash)) {
    found.add('missing_onchain_transfer', `transaction ${txHash} is not one of the payout's signed transactions`);
  } else {
    for (const problem of movementProblems(facts, tx)) {
      found.add('amount_mismatch', problem, {
        expected: { asset: payout.asset, token: facts.token, to: payout.destination, amount_units: payout.amount.toString() },
      });
    }
  }
  if (ledger.reserved && !ledger.settlement) found.add('status_mismatch', 'the payout is completed but the ledger has no settlement entry');
  if (ledger.reserved && ledger.released) found.add('status_mismatch', 'the payout is completed but the ledger released its reservation');
}

function checkUnpaid(facts: PayoutFacts, found: Problems): void {
  const { payout, ledger } = facts;
  for (const attempt of facts.attempts) {
    const tx = facts.chain.get(attempt.hash);
    if (attempt.kind === 'transfer' && tx?.status === 'success') {
      found.add(
        'status_mismatch',
        `the chain has the payout's transfer ${tx.hash} mined in block ${tx.blockNumber}, but the payout is ${payout.status}`,
      );
    }
  }
  if (ledger.reserved && ledger.settlement)
    found.add('status_mismatch', `the payout is ${payout.status} but the ledger settled it as paid`);
  if (ledger.reserved && !ledger.released)
    found.add('status_mismatch', `the payout is ${payout.status} but the ledger never released its reservation`);
}

/**
 * The attempt the chain kept (at most one can be mined: they share a nonce), the recorded hash first.
 * Shared by payouts and mass-payout deliveries: both own a nonce and its signed attempts.
 */
export function minedAttempt<T extends { hash: string }>(
  recordedHash: string | null,
  attempts: readonly { hash: string }[],
  chain: ReadonlyMap<string, T>,
): T | undefined {
  const own = recordedHash ? chain.get(recordedHash) : undefined;
  if (own && attempts.some((attempt) => attempt.hash === own.hash)) return own;
  for (const attempt of attempts) {
    const tx = chain.get(attempt.hash);
    if (tx) return tx;
  }
  return undefined;
}

const minedTransaction = (facts: PayoutFacts) => minedAttempt(facts.payout.txHash, facts.attempts, facts.chain);

function checkFees(facts: PayoutFacts, found: Problems): void {
  const { payout, ledger } = facts;
  const tx = minedTransaction(facts);
  if (!tx) return;
  const paid = { receipt_fee_wei: tx.fee.toString(), mined_tx_hash: tx.hash };
  if (payout.networkFee === null) {
    if (payout.status === 'completed')
      found.add('fee_mismatch', `the payout records no network fee; the chain charged ${tx.fee} wei`, paid);
  } else if (payout.networkFee !== tx.fee) {
    found.add('fee_mismatch', `the payout records a network fee of ${payout.networkFee} wei; the chain charged ${tx.fee} wei`, paid);
  }
  if (!ledger.reserved) return;
  if (!ledger.gas) found.add('fee_mismatch', `the ledger has no gas entry; the chain charged ${tx.fee} wei`, paid);
  else if (ledger.gas.amount !== tx.fee)
    found.add('fee_mismatch', `the ledger's gas entry is ${ledger.gas.amount} wei; the chain charged ${tx.fee} wei`, paid);
}

export function checkPayout(facts: PayoutFacts): PayoutCheck {
  const { payout } = facts;
  const recent = [...facts.chain.values()].find((tx) => tx.blockNumber > facts.safeHead);
  if (recent) return { kind: 'defer', reason: `transaction ${recent.hash} in block ${recent.blockNumber} is not final yet` };
  if (payout.blockNumber !== null && payout.blockNumber > facts.safeHead && payout.blockNumber <= facts.head) {
    return { kind: 'defer', reason: `block ${payout.blockNumber} is not final yet` };
  }
  const found = new Problems();
  if (payout.status === 'completed') checkCompleted(facts, found);
  else if (UNPAID.includes(payout.status)) checkUnpaid(facts, found);
  else return { kind: 'checked', findings: [] }; // still moving: judged once it ends
  checkFees(facts, found);
  return { kind: 'checked', findings: found.findings(facts) };
}
