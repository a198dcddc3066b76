/**
 * The double-entry ledger's rules, without a database: which accounts exist, and the journal
 * entries each payout event posts. Every entry moves one asset on one network and its postings
 * sum to zero. Amounts are signed integer base units.
 *
 * Accounts per (kind, owner, network, asset). Funds that physically sit in a treasury wallet are
 * split over `treasury` (free), `reserved` (committed to payouts not yet settled), `fees` (earned,
 * not swept) and `conversion` (the conversion desk's side of a currency exchange). Money that
 * left the wallet is in `payouts_sent` and `network_gas`; money that came in is the negative of
 * `external` (deposits the reconciler identified at final depth, each by its transaction) plus the
 * negative of `unidentified` (funds seen in the balance before the deposit that brought them was
 * identified: a payout needing them cannot wait for finality; identifying the deposit later moves
 * them to `external` without crediting them again). So for every wallet and asset:
 * treasury + reserved + fees + conversion = on-chain.
 */

export const ACCOUNT_KINDS = [
  'treasury',
  'reserved',
  'fees',
  'conversion',
  'payouts_sent',
  'network_gas',
  'external',
  'unidentified',
] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** The kinds whose funds are held in the treasury wallet itself. */
export const IN_WALLET_KINDS: readonly AccountKind[] = ['treasury', 'reserved', 'fees', 'conversion'];

export interface LedgerAccountRef {
  kind: AccountKind;
  /** The treasury wallet address (lowercase): every account belongs to the wallet it describes. */
  owner: string;
  network: string;
  asset: string;
}

export const accountCode = (ref: LedgerAccountRef) => `${ref.kind}:${ref.owner}:${ref.network}:${ref.asset}`;

export interface Posting {
  account: LedgerAccountRef;
  amount: bigint;
}

export type EntryKind = 'funding' | 'deposit' | 'reservation' | 'release' | 'settlement' | 'send' | 'gas';

export interface JournalEntry {
  /** Deterministic for payout entries (e.g. payout:po_1:reserve), so posting twice is a no-op. */
  id: string;
  kind: EntryKind;
  network: string;
  asset: string;
  payoutId?: string;
  txHash?: string;
  memo: string;
  postings: Posting[];
}

export class UnbalancedEntryError extends Error {}

/** Refuses an entry whose postings do not sum to zero or that mixes assets or networks. */
export function assertBalanced(entry: JournalEntry): JournalEntry {
  let sum = 0n;
  for (const posting of entry.postings) {
    if (posting.account.asset !== entry.asset || posting.account.network !== entry.network) {
      throw new UnbalancedEntryError(
        `entry ${entry.id} mixes ${posting.account.network}/${posting.account.asset} into ${entry.network}/${entry.asset}`,
      );
    }
    sum += posting.amount;
  }
  if (sum !== 0n) throw new UnbalancedEntryError(`entry ${entry.id} does not balance: postings sum to ${sum}`);
  if (entry.postings.length < 2) throw new UnbalancedEntryError(`entry ${entry.id} needs at least two postings`);
  return entry;
}

/** Moves `amount` from one account to another. */
function transfer(from: LedgerAccountRef, to: LedgerAccountRef, amount: bigint): Posting[] {
  return [
    { account: from, amount: -amount },
    { account: to, amount },
  ];
}

export interface WalletAsset {
  wallet: string;
  network: string;
  asset: string;
}

const walletAccount = (kind: AccountKind, at: WalletAsset): LedgerAccountRef => ({
  kind,
  owner: at.wallet.toLowerCase(),
  network: at.network,
  asset: at.asset,
});

/** Funds seen in the wallet (on-chain balance above the ledger's view) before the deposit that brought them is identified. */
export function fundingEntry(id: string, at: WalletAsset, amount: bigint): JournalEntry {
  return assertBalanced({
    id,
    kind: 'funding',
    network: at.network,
    asset: at.asset,
    memo: `funds seen in ${at.wallet} before their deposit was identified`,
    postings: transfer(walletAccount('unidentified', at), walletAccount('treasury', at), amount),
  });
}

/**
 * A balance change of the wallet found at final depth: a transfer in (named by its transaction), or
 * a change no transaction explains (genesis allocation, an internal transfer, a node's cheat code;
 * named by its block, and negative when funds left without one).
 */
export interface Arrival {
  /** Deterministic, so the same arrival is never posted twice: deposit:<network>:<wallet>:<asset>:<tx>[:<log index>] or …:block:<n>. */
  id: string;
  asset: string;
  /** Signed base units: negative only for a change no transaction explains. */
  units: bigint;
  blockNumber: bigint;
  txHash: string | null;
  memo: string;
}

/**
 * Posts an arrival. The part of it already credited as `unidentified` (at most `unidentifiedUnits`, the funds
 * credited early and not identified yet) only moves to `external`: the treasury gets the rest, so a deposit is
 * credited once whether or not a payout saw it in the balance first.
 */
export function depositEntry(at: WalletAsset, arrival: Arrival, unidentifiedUnits: bigint): JournalEntry {
  const alreadyCredited =
    arrival.units > 0n && unidentifiedUnits > 0n ? (unidentifiedUnits < arrival.units ? unidentifiedUnits : arrival.units) : 0n;
  const postings: Posting[] = [
    { account: walletAccount('external', at), amount: -arrival.units },
    { account: walletAccount('unidentified', at), amount: alreadyCredited },
    { account: walletAccount('treasury', at), amount: arrival.units - alreadyCredited },
  ].filter((posting) => posting.amount !== 0n);
  return assertBalanced({
    id: arrival.id,
    kind: 'deposit',
    network: at.network,
    asset: at.asset,
    ...(arrival.txHash ? { txHash: arrival.txHash } : {}),
    memo: arrival.memo,
    postings,
  });
}

export interface PayoutAmounts {
  payoutId: string;
  wallet: string;
  network: string;
  /** What the recipient receives. */
  sent: { asset: string; units: bigint };
  /** What the treasury is charged (sent + fees when one asset; another asset with a conversion). */
  debit: { asset: string; units: bigint };
  /** Service and conversion fees, in the debit asset. */
  feeUnits: bigint;
}

const debitSide = (p: PayoutAmounts): WalletAsset => ({ wallet: p.wallet, network: p.network, asset: p.debit.asset });
const sentSide = (p: PayoutAmounts): WalletAsset => ({ wallet: p.wallet, network: p.network, asset: p.sent.asset });

export function reservationEntry(p: PayoutAmounts): JournalEntry {
  const at = debitSide(p);
  return assertBalanced({
    id: `payout:${p.payoutId}:reserve`,
    kind: 'reservation',
    network: p.network,
    asset: p.debit.asset,
    payoutId: p.payoutId,
    memo: `reserve ${p.debit.units} for payout ${p.payoutId}`,
    postings: transfer(walletAccount('treasury', at), walletAccount('reserved', at), p.debit.units),
  });
}

/** The payout ended unpaid (failed, canceled, expired): its reservation goes back to the treasury. */
export function releaseEntry(p: PayoutAmounts): JournalEntry {
  const at = debitSide(p);
  return assertBalanced({
    id: `payout:${p.payoutId}:release`,
    kind: 'release',
    network: p.network,
    asset: p.debit.asset,
    payoutId: p.payoutId,
    memo: `release the reservation of payout ${p.payoutId}`,
    postings: transfer(walletAccount('reserved', at), walletAccount('treasury', at), p.debit.units),
  });
}

/**
 * The chain confirmed the payout. One asset: reserved -> payouts_sent (amount) + fees, any
 * rounding remainder to conversion. With a conversion the debit asset goes to fees and the
 * conversion desk, and a second entry sends the other asset out of the treasury.
 */
export function settlementEntries(p: PayoutAmounts, txHash: string): JournalEntry[] {
  const debitAt = debitSide(p);
  const sameAsset = p.sent.asset === p.debit.asset;
  const toRecipient = sameAsset ? p.sent.units : 0n;
  const toDesk = p.debit.units - toRecipient - p.feeUnits;
  if (toDesk < 0n)
    throw new UnbalancedEntryError(`payout ${p.payoutId} debits ${p.debit.units} but sends ${toRecipient} + fees ${p.feeUnits}`);
  const postings: Posting[] = [{ account: walletAccount('reserved', debitAt), amount: -p.debit.units }];
  if (toRecipient > 0n) postings.push({ account: walletAccount('payouts_sent', debitAt), amount: toRecipient });
  if (p.feeUnits > 0n) postings.push({ account: walletAccount('fees', debitAt), amount: p.feeUnits });
  if (toDesk > 0n) postings.push({ account: walletAccount('conversion', debitAt), amount: toDesk });
  const entries = [
    assertBalanced({
      id: `payout:${p.payoutId}:settle`,
      kind: 'settlement',
      network: p.network,
      asset: p.debit.asset,
      payoutId: p.payoutId,
      txHash,
      memo: `payout ${p.payoutId} confirmed`,
      postings,
    }),
  ];
  if (!sameAsset) {
    const sentAt = sentSide(p);
    entries.push(
      assertBalanced({
        id: `payout:${p.payoutId}:send`,
        kind: 'send',
        network: p.network,
        asset: p.sent.asset,
        payoutId: p.payoutId,
        txHash,
        memo: `payout ${p.payoutId} sent ${p.sent.units} after conversion`,
        postings: transfer(walletAccount('treasury', sentAt), walletAccount('payouts_sent', sentAt), p.sent.units),
      }),
    );
  }
  return entries;
}

/** Gas actually paid for the payout's mined transaction (transfer or cancellation), in the native asset. */
export function gasEntry(payoutId: string, at: WalletAsset, feeUnits: bigint, txHash: string): JournalEntry {
  return assertBalanced({
    id: `payout:${payoutId}:gas`,
    kind: 'gas',
    network: at.network,
    asset: at.asset,
    payoutId,
    txHash,
    memo: `gas for ${txHash}`,
    postings: transfer(walletAccount('treasury', at), walletAccount('network_gas', at), feeUnits),
  });
}

/**
 * What else a payout holds besides its debit, in another asset, so no two payouts count on the same funds: its
 * worst-case gas (gas limit x max fee, in the native asset, held before it signs), and for a conversion the asset it
 * sends. Each hold goes back whole when the payout ends; the gas and send entries post what actually left.
 */
export type SideHold = 'gas' | 'sent';

export function holdEntry(payoutId: string, hold: SideHold, at: WalletAsset, units: bigint): JournalEntry {
  return assertBalanced({
    id: `payout:${payoutId}:hold-${hold}`,
    kind: 'reservation',
    network: at.network,
    asset: at.asset,
    payoutId,
    memo: `hold ${units} for the ${hold === 'gas' ? 'gas' : 'sent asset'} of payout ${payoutId}`,
    postings: transfer(walletAccount('treasury', at), walletAccount('reserved', at), units),
  });
}

export function holdReleaseEntry(payoutId: string, hold: SideHold, at: WalletAsset, units: bigint): JournalEntry {
  return assertBalanced({
    id: `payout:${payoutId}:release-${hold}`,
    kind: 'release',
    network: at.network,
    asset: at.asset,
    payoutId,
    memo: `release the ${hold === 'gas' ? 'gas' : 'sent asset'} hold of payout ${payoutId}`,
    postings: transfer(walletAccount('reserved', at), walletAccount('treasury', at), units),
  });
}

/*
 * Mass payouts: one reservation for the batch's total; each delivery (an on-chain transaction
 * paying a chunk or one item) settles what it paid; what was never paid is released at the end.
 * Entries carry the mass payout's id in payoutId.
 */

export function massReservationEntry(massPayoutId: string, at: WalletAsset, units: bigint): JournalEntry {
  return assertBalanced({
    id: `mass:${massPayoutId}:reserve`,
    kind: 'reservation',
    network: at.network,
    asset: at.asset,
    payoutId: massPayoutId,
    memo: `reserve ${units} for mass payout ${massPayoutId}`,
    postings: transfer(walletAccount('treasury', at), walletAccount('reserved', at), units),
  });
}

export function massDeliverySettlementEntry(
  massPayoutId: string,
  deliveryId: string,
  at: WalletAsset,
  units: bigint,
  txHash: string,
): JournalEntry {
  return assertBalanced({
    id: `delivery:${deliveryId}:settle`,
    kind: 'settlement',
    network: at.network,
    asset: at.asset,
    payoutId: massPayoutId,
    txHash,
    memo: `mass payout ${massPayoutId}: ${deliveryId} confirmed`,
    postings: transfer(walletAccount('reserved', at), walletAccount('payouts_sent', at), units),
  });
}

/** Gas actually paid for a delivery's mined transaction, in the native asset. */
export function deliveryGasEntry(
  massPayoutId: string,
  deliveryId: string,
  at: WalletAsset,
  feeUnits: bigint,
  txHash: string,
): JournalEntry {
  return assertBalanced({
    id: `delivery:${deliveryId}:gas`,
    kind: 'gas',
    network: at.network,
    asset: at.asset,
    payoutId: massPayoutId,
    txHash,
    memo: `gas for ${txHash}`,
    postings: transfer(walletAccount('treasury', at), walletAccount('network_gas', at), feeUnits),
  });
}

/** The part of a mass payout's reservation that was not paid (failed or canceled items) goes back to the treasury. */
export function massReleaseEntry(massPayoutId: string, at: WalletAsset, units: bigint): JournalEntry {
  return assertBalanced({
    id: `mass:${massPayoutId}:release`,
    kind: 'release',
    network: at.network,
    asset: at.asset,
    payoutId: massPayoutId,
    memo: `release what mass payout ${massPayoutId} did not pay`,
    postings: transfer(walletAccount('reserved', at), walletAccount('treasury', at), units),
  });
}
