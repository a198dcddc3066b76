import { checkPayout, matchChainActivity, type PayoutFacts } from './match';
import type { ChainTransaction, KnownAttempt, TokenTransferLog } from './types';

const wallet = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const usdc = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const alice = '0x90f79bf6eb2c4f870365e785982e1f101e93b906';
const bob = '0x15d34aaf54267db7d7c367839aaf71a00a2c6a65';
const symbols = new Map([[usdc, 'USDC']]);
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

function tx(overrides: Partial<ChainTransaction> = {}): ChainTransaction {
  return {
    hash: hash(1),
    blockNumber: 100n,
    from: wallet,
    to: usdc,
    value: 0n,
    nonce: 7,
    status: 'success',
    fee: 42_000n,
    tokenTransfers: [{ token: usdc, from: wallet, to: alice, value: 25_000_000n, logIndex: 0 }],
    ...overrides,
  };
}

/** A completed USDC payout of 25 to alice that agrees with the chain and the ledger in every way. */
function facts(
  overrides: { payout?: Partial<PayoutFacts['payout']>; ledger?: Partial<PayoutFacts['ledger']> } & Partial<
    Omit<PayoutFacts, 'payout' | 'ledger'>
  > = {},
): PayoutFacts {
  const { payout, ledger, ...rest } = overrides;
  return {
    payout: {
      id: 'po_1',
      accountId: 'acct_1',
      status: 'completed',
      asset: 'USDC',
      amount: 25_000_000n,
      destination: alice,
      txHash: hash(1),
      blockNumber: 100n,
      networkFee: 42_000n,
      ...payout,
    },
    token: usdc,
    wallet,
    attempts: [{ hash: hash(1), kind: 'transfer' }],
    chain: new Map([[hash(1), tx()]]),
    ledger: { reserved: true, released: false, settlement: { txHash: hash(1) }, gas: { amount: 42_000n, txHash: hash(1) }, ...ledger },
    head: 110n,
    safeHead: 109n,
    tokenSymbols: symbols,
    ...rest,
  };
}

const findings = (f: PayoutFacts) => {
  const result = checkPayout(f);
  if (result.kind !== 'checked') throw new Error(`deferred: ${result.reason}`);
  return result.findings;
};
const categories = (f: PayoutFacts) => findings(f).map((finding) => finding.category);

describe('checkPayout: a payout that agrees with the chain and the ledger', () => {
  it('finds nothing for a completed ERC-20 payout', () => {
    expect(findings(facts())).toEqual([]);
  });

  it('finds nothing for a completed native payout', () => {
    const native = tx({ to: alice, value: 10n ** 18n, tokenTransfers: [] });
    expect(findings(facts({ token: null, payout: { asset: 'ETH', amount: 10n ** 18n }, chain: new Map([[hash(1), native]]) }))).toEqual([]);
  });

  it('finds nothing for a failed payout whose transfer reverted (gas paid, reservation released)', () => {
    const reverted = tx({ status: 'reverted', tokenTransfers: [] });
    const f = facts({ payout: { status: 'failed' }, chain: new Map([[hash(1), reverted]]), ledger: { settlement: null, released: true } });
    expect(findings(f)).toEqual([]);
  });

  it('finds nothing for a payout canceled by a mined zero-value replacement', () => {
    const cancel = tx({ hash: hash(2), to: wallet, tokenTransfers: [], fee: 50_000n });
    const f = facts({
      payout: { status: 'canceled', txHash: hash(2), networkFee: 50_000n },
      attempts: [
        { hash: hash(1), kind: 'transfer' },
        { hash: hash(2), kind: 'cancel' },
      ],
      chain: new Map([[hash(2), cancel]]),
      ledger: { settlement: null, released: true, gas: { amount: 50_000n, txHash: hash(2) } },
    });
    expect(findings(f)).toEqual([]);
  });

  it('does not check a payout that has not ended, nor the ledger of a payout from before the ledger', () => {
    expect(findings(facts({ payout: { status: 'processing' } }))).toEqual([]);
    expect(findings(facts({ ledger: { reserved: false, settlement: null, gas: null } }))).toEqual([]);
  });
});

describe('checkPayout: missing_onchain_transfer', () => {
  it('a completed payout whose hash the chain does not have', () => {
    const [finding] = findings(facts({ payout: { txHash: hash(9) } }));
    expect(finding).toMatchObject({
      category: 'missing_onchain_transfer',
      subject: 'po_1',
      payoutId: 'po_1',
      accountId: 'acct_1',
      txHash: hash(9),
    });
    expect(finding!.summary).toContain(`transaction ${hash(9)} is not on chain`);
    expect(finding!.evidence).toMatchObject({ payout: { tx_hash: hash(9), amount_units: '25000000' }, ledger: { settled: true } });
  });

  it('a completed payout with no hash, a reverted transaction, one sent by someone else, or a hash that is not its own', () => {
    expect(categories(facts({ payout: { txHash: null } }))).toEqual(['missing_onchain_transfer']);
    expect(categories(facts({ chain: new Map([[hash(1), tx({ status: 'reverted', tokenTransfers: [] })]]) }))).toEqual([
      'missing_onchain_transfer',
    ]);
    expect(categories(facts({ chain: new Map([[hash(1), tx({ from: bob })]]) }))).toEqual(['missing_onchain_transfer']);
    const foreign = facts({
      payout: { txHash: hash(5) },
      chain: new Map([[hash(5), tx({ hash: hash(5) })]]),
      attempts: [{ hash: hash(1), kind: 'transfer' }],
    });
    expect(findings(foreign)[0]!.summary).toContain("is not one of the payout's signed transactions");
  });

  it('a claimed block beyond the chain head is reported, not waited for', () => {
    const [finding] = findings(facts({ payout: { txHash: hash(9), blockNumber: 10_000n } }));
    expect(finding!.summary).toContain('beyond the chain head');
  });
});

describe('checkPayout: amount_mismatch', () => {
  it('a different amount or recipient of the token', () => {
    const [finding] = findings(facts({ payout: { amount: 25_000_001n } }));
    expect(finding).toMatchObject({ category: 'amount_mismatch', payoutId: 'po_1' });
    expect(finding!.evidence).toMatchObject({
      problems: ["25000000 units of USDC moved, the payout's amount is 25000001"],
      expected: { asset: 'USDC', to: alice, amount_units: '25000001' },
    });
    expect(findings(facts({ payout: { destination: bob } }))[0]!.evidence).toMatchObject({
      problems: [`USDC went to ${alice}, the payout's destination is ${bob}`],
    });
  });

  it('two problems of one kind are one finding', () => {
    const found = findings(facts({ payout: { destination: bob, amount: 1n } }));
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.problems).toHaveLength(2);
    expect(found[0]!.summary).toContain('(and 1 more)');
  });

  it('the wrong token, no token transfer, or a native transfer of another value', () => {
    const otherToken = tx({ tokenTransfers: [{ token: bob, from: wallet, to: alice, value: 25_000_000n, logIndex: 0 }] });
    expect(categories(facts({ chain: new Map([[hash(1), otherToken]]) }))).toEqual(['amount_mismatch']);
    expect(categories(facts({ chain: new Map([[hash(1), tx({ tokenTransfers: [] })]]) }))).toEqual(['amount_mismatch']);
    const native = tx({ to: alice, value: 2n, tokenTransfers: [] });
    expect(categories(facts({ token: null, payout: { asset: 'ETH', amount: 1n }, chain: new Map([[hash(1), native]]) }))).toEqual([
      'amount_mismatch',
    ]);
  });
});

describe('checkPayout: fee_mismatch', () => {
  it("the payout's network fee differs from the receipt", () => {
    const [finding] = findings(facts({ payout: { networkFee: 42_001n } }));
    expect(finding).toMatchObject({ category: 'fee_mismatch' });
    expect(finding!.evidence).toMatchObject({ receipt_fee_wei: '42000', mined_tx_hash: hash(1), payout: { network_fee_wei: '42001' } });
  });

  it("the ledger's gas entry differs or is missing; a completed payout with no fee", () => {
    expect(categories(facts({ ledger: { gas: { amount: 1n, txHash: hash(1) } } }))).toEqual(['fee_mismatch']);
    expect(categories(facts({ ledger: { gas: null } }))).toEqual(['fee_mismatch']);
    expect(categories(facts({ payout: { networkFee: null } }))).toEqual(['fee_mismatch']);
  });
});

describe('checkPayout: status_mismatch', () => {
  it('chain says mined, engine says failed (and the ledger settled it, never released)', () => {
    const found = findings(facts({ payout: { status: 'failed' } }));
    expect(found.map((f) => f.category)).toEqual(['status_mismatch']);
    expect(found[0]!.evidence.problems).toEqual([
      `the chain has the payout's transfer ${hash(1)} mined in block 100, but the payout is failed`,
      'the payout is failed but the ledger settled it as paid',
      'the payout is failed but the ledger never released its reservation',
    ]);
  });

  it('a completed payout the ledger never settled, or released', () => {
    expect(findings(facts({ ledger: { settlement: null } }))[0]!.evidence.problems).toEqual([
      'the payout is completed but the ledger has no settlement entry',
    ]);
    expect(categories(facts({ ledger: { released: true } }))).toEqual(['status_mismatch']);
  });
});

describe('checkPayout: waits for final blocks', () => {
  it('defers a payout whose transaction is above the safe head, and judges it once final', () => {
    expect(checkPayout(facts({ safeHead: 99n })).kind).toBe('defer');
    expect(checkPayout(facts({ payout: { txHash: hash(9), blockNumber: 105n }, safeHead: 104n, head: 106n })).kind).toBe('defer');
    expect(checkPayout(facts({ safeHead: 100n })).kind).toBe('checked');
  });
});

describe('matchChainActivity', () => {
  const known = new Map<string, KnownAttempt>([[hash(1), { payoutId: 'po_1', kind: 'transfer', owner: 'payout' }]]);

  it('matches the engine’s attempts and reports every other transaction from the wallet once', () => {
    const stray = tx({ hash: hash(3), to: bob, value: 5n, tokenTransfers: [], nonce: 8 });
    const result = matchChainActivity({ wallet, scanned: { transactions: [tx(), stray], tokenLogs: [] }, known, tokenSymbols: symbols });
    expect(result.matched).toBe(1);
    expect(result.payoutIds).toEqual(['po_1']);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      category: 'unknown_onchain_transfer',
      subject: hash(3),
      txHash: hash(3),
      payoutId: null,
      accountId: null,
    });
    expect(result.findings[0]!.summary).toContain(`5 wei to ${bob}`);
    expect(result.findings[0]!.evidence).toMatchObject({ transaction: { nonce: 8, value_wei: '5', to: bob } });
  });

  it('judges a token transfer inside the wallet’s own transaction with that transaction', () => {
    const strayToken = tx({ hash: hash(4) });
    const log: TokenTransferLog = { ...strayToken.tokenTransfers[0]!, txHash: hash(4), blockNumber: 100n };
    const result = matchChainActivity({ wallet, scanned: { transactions: [strayToken], tokenLogs: [log] }, known, tokenSymbols: symbols });
    expect(result.findings.map((f) => f.subject)).toEqual([hash(4)]);
    expect(result.findings[0]!.summary).toContain('25000000 units of USDC');
  });

  it('reports token transfers out of the wallet in transactions it did not send (transferFrom), one finding per transaction', () => {
    const logs: TokenTransferLog[] = [
      { token: usdc, from: wallet, to: bob, value: 1n, logIndex: 0, txHash: hash(6), blockNumber: 101n },
      { token: usdc, from: wallet, to: alice, value: 2n, logIndex: 1, txHash: hash(6), blockNumber: 101n },
      { token: usdc, from: wallet, to: alice, value: 25_000_000n, logIndex: 0, txHash: hash(1), blockNumber: 100n },
    ];
    const result = matchChainActivity({ wallet, scanned: { transactions: [], tokenLogs: logs }, known, tokenSymbols: symbols });
    expect(result.matched).toBe(1);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ subject: hash(6), evidence: { transaction: { sent_by_wallet: false } } });
    expect((result.findings[0]!.evidence.token_transfers as unknown[]).length).toBe(2);
  });

  it('finds nothing when every transaction is known', () => {
    const cancel = tx({ hash: hash(2), to: wallet, tokenTransfers: [] });
    const both = new Map([...known, [hash(2), { payoutId: 'po_2', kind: 'cancel' as const, owner: 'payout' as const }]]);
    const result = matchChainActivity({
      wallet,
      scanned: { transactions: [tx(), cancel], tokenLogs: [] },
      known: both,
      tokenSymbols: symbols,
    });
    expect(result).toEqual({ matched: 2, payoutIds: ['po_1', 'po_2'], findings: [] });
  });

  it('explains a mass-payout delivery’s transaction and the token transfers in it, and leaves its check to the delivery check', () => {
    const batch = tx({
      hash: hash(7),
      to: bob,
      tokenTransfers: [
        { token: usdc, from: wallet, to: alice, value: 1n, logIndex: 0 },
        { token: usdc, from: wallet, to: bob, value: 2n, logIndex: 1 },
      ],
    });
    const logs: TokenTransferLog[] = batch.tokenTransfers.map((t) => ({ ...t, txHash: hash(7), blockNumber: 100n }));
    const delivery = new Map<string, KnownAttempt>([[hash(7), { payoutId: 'mp_1:chunk:0', kind: 'transfer', owner: 'delivery' }]]);
    const result = matchChainActivity({
      wallet,
      scanned: { transactions: [batch], tokenLogs: logs },
      known: delivery,
      tokenSymbols: symbols,
    });
    expect(result).toEqual({ matched: 1, payoutIds: [], findings: [] });
  });
});
