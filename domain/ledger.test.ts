import {
  assertBalanced,
  depositEntry,
  fundingEntry,
  gasEntry,
  releaseEntry,
  reservationEntry,
  settlementEntries,
  UnbalancedEntryError,
  type JournalEntry,
  type PayoutAmounts,
} from './ledger';

const wallet = '0xAbC0000000000000000000000000000000000001';
const sameAsset: PayoutAmounts = {
  payoutId: 'po_1',
  wallet,
  network: 'local',
  sent: { asset: 'USDC', units: 1_000n },
  debit: { asset: 'USDC', units: 1_010n },
  feeUnits: 10n,
};
const converted: PayoutAmounts = {
  payoutId: 'po_2',
  wallet,
  network: 'local',
  sent: { asset: 'ETH', units: 36n },
  debit: { asset: 'USDC', units: 10_854n },
  feeUnits: 54n,
};

const byKind = (entry: JournalEntry) => Object.fromEntries(entry.postings.map((p) => [p.account.kind, p.amount]));
const sum = (entry: JournalEntry) => entry.postings.reduce((total, p) => total + p.amount, 0n);

describe('journal entries', () => {
  it('reserve and release move the debit amount between treasury and reserved, with fixed ids', () => {
    expect(reservationEntry(sameAsset)).toMatchObject({ id: 'payout:po_1:reserve', asset: 'USDC' });
    expect(byKind(reservationEntry(sameAsset))).toEqual({ treasury: -1_010n, reserved: 1_010n });
    expect(byKind(releaseEntry(sameAsset))).toEqual({ reserved: -1_010n, treasury: 1_010n });
    expect(releaseEntry(converted).id).toBe('payout:po_2:release');
  });

  it('settles one asset to payouts_sent and fees, and a conversion to fees, the desk and a second entry', () => {
    const [one] = settlementEntries(sameAsset, '0xhash');
    expect(byKind(one!)).toEqual({ reserved: -1_010n, payouts_sent: 1_000n, fees: 10n });
    const [settle, send] = settlementEntries(converted, '0xhash');
    expect(byKind(settle!)).toEqual({ reserved: -10_854n, fees: 54n, conversion: 10_800n });
    expect(send).toMatchObject({ id: 'payout:po_2:send', asset: 'ETH', txHash: '0xhash' });
    expect(byKind(send!)).toEqual({ treasury: -36n, payouts_sent: 36n });
  });

  it('every builder balances and belongs to the wallet (lowercase)', () => {
    const entries = [
      fundingEntry('funding:1', { wallet, network: 'local', asset: 'ETH' }, 5n),
      reservationEntry(converted),
      releaseEntry(converted),
      ...settlementEntries(converted, '0xh'),
      gasEntry('po_2', { wallet, network: 'local', asset: 'ETH' }, 21_000n, '0xh'),
    ];
    for (const entry of entries) {
      expect(sum(entry)).toBe(0n);
      for (const posting of entry.postings) expect(posting.account.owner).toBe(wallet.toLowerCase());
    }
  });

  describe('deposits', () => {
    const at = { wallet, network: 'local', asset: 'ETH' };
    const arrival = { id: 'deposit:local:w:ETH:0xd', asset: 'ETH', units: 100n, blockNumber: 7n, txHash: '0xd', memo: 'deposit' };

    it('funds seen early are credited to the treasury as unidentified', () => {
      expect(byKind(fundingEntry('funding:1', at, 5n))).toEqual({ unidentified: -5n, treasury: 5n });
    });

    it('an identified deposit nobody saw yet credits the treasury from external, named by its transaction', () => {
      const entry = depositEntry(at, arrival, 0n);
      expect(entry).toMatchObject({ id: 'deposit:local:w:ETH:0xd', kind: 'deposit', txHash: '0xd' });
      expect(byKind(entry)).toEqual({ external: -100n, treasury: 100n });
    });

    it('a deposit a payout already saw in the balance only moves from unidentified to external: credited once', () => {
      expect(byKind(depositEntry(at, arrival, 100n))).toEqual({ external: -100n, unidentified: 100n });
      expect(byKind(depositEntry(at, arrival, 250n))).toEqual({ external: -100n, unidentified: 100n });
      expect(byKind(depositEntry(at, arrival, 40n))).toEqual({ external: -100n, unidentified: 40n, treasury: 60n });
    });

    it('funds that left without a transaction go back to external, never touching unidentified', () => {
      const entry = depositEntry(at, { ...arrival, id: 'deposit:local:w:ETH:block:9', units: -30n, txHash: null }, 100n);
      expect(entry.txHash).toBeUndefined();
      expect(byKind(entry)).toEqual({ external: 30n, treasury: -30n });
    });
  });

  it('refuses unbalanced, mixed-asset and impossible entries', () => {
    const entry = reservationEntry(sameAsset);
    expect(() => assertBalanced({ ...entry, postings: [entry.postings[0]!, { ...entry.postings[1]!, amount: 1n }] })).toThrow(
      UnbalancedEntryError,
    );
    expect(() => assertBalanced({ ...entry, asset: 'ETH' })).toThrow(/mixes/);
    expect(() => settlementEntries({ ...sameAsset, debit: { asset: 'USDC', units: 999n } }, '0x')).toThrow(/debits 999/);
  });
});
