import { encodeFunctionData, type Address } from 'viem';
import { batchTransferAbi } from '../../contracts/artifacts/BatchTransfer';
import { checkDelivery, checkMassPayout, comparePayments, type DeliveryFacts, type DeliveryItem, type MassPayoutFacts } from './mass-match';
import type { MinedCall, TokenMovement } from './types';

const wallet = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const usdc = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const batch = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512';
const alice = '0x90f79bf6eb2c4f870365e785982e1f101e93b906';
const bob = '0x15d34aaf54267db7d7c367839aaf71a00a2c6a65';
const carol = '0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc';
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

const items: DeliveryItem[] = [
  { seq: 0, address: alice, amount: 10n, status: 'completed', txHash: hash(1) },
  { seq: 1, address: bob, amount: 20n, status: 'completed', txHash: hash(1) },
  { seq: 2, address: carol, amount: 30n, status: 'completed', txHash: hash(1) },
];
const transfers = (list: DeliveryItem[]): TokenMovement[] =>
  list.map((item, i) => ({ token: usdc, from: wallet, to: item.address, value: item.amount, logIndex: i * 2 }));

function tx(overrides: Partial<MinedCall> = {}): MinedCall {
  return {
    hash: hash(1),
    blockNumber: 100n,
    from: wallet,
    to: batch,
    value: 0n,
    nonce: 3,
    status: 'success',
    fee: 90_000n,
    tokenTransfers: transfers(items),
    input: '0x',
    ...overrides,
  };
}

/** A completed USDC batch of three items that agrees with the chain and the ledger. */
function facts(
  overrides: { delivery?: Partial<DeliveryFacts['delivery']>; ledger?: Partial<DeliveryFacts['ledger']> } & Partial<
    Omit<DeliveryFacts, 'delivery' | 'ledger'>
  > = {},
): DeliveryFacts {
  const { delivery, ledger, ...rest } = overrides;
  return {
    delivery: {
      id: 'mp_1:chunk:0',
      massPayoutId: 'mp_1',
      accountId: 'acct_1',
      mode: 'batch',
      state: 'completed',
      itemCount: 3,
      totalAmount: 60n,
      txHash: hash(1),
      networkFee: 90_000n,
      ...delivery,
    },
    asset: 'USDC',
    token: usdc,
    batchContract: batch,
    wallet,
    attempts: [{ hash: hash(1), kind: 'transfer' }],
    chain: new Map([[hash(1), tx()]]),
    items,
    ledger: { settle: { amount: 60n, txHash: hash(1) }, gas: { amount: 90_000n, txHash: hash(1) }, ...ledger },
    safeHead: 105n,
    ...rest,
  };
}

const findings = (f: DeliveryFacts) => {
  const result = checkDelivery(f);
  if (result.kind !== 'checked') throw new Error(`deferred: ${result.reason}`);
  return result.findings;
};

const payEth = (list: { address: string; amount: bigint }[]) =>
  encodeFunctionData({
    abi: batchTransferAbi,
    functionName: 'payEth',
    args: [list.map((i) => i.address as Address), list.map((i) => i.amount)],
  });

describe('checkDelivery: deliveries that agree with the chain, their items and the ledger', () => {
  it('finds nothing for an ERC-20 batch whose Transfer logs are its items, in any order', () => {
    expect(findings(facts())).toEqual([]);
    expect(findings(facts({ chain: new Map([[hash(1), tx({ tokenTransfers: transfers(items).reverse() })]]) }))).toEqual([]);
  });

  it('finds nothing for an ETH batch whose payEth calldata is its items and whose value is their sum', () => {
    const eth = tx({ value: 60n, tokenTransfers: [], input: payEth(items) });
    expect(findings(facts({ token: null, asset: 'ETH', chain: new Map([[hash(1), eth]]) }))).toEqual([]);
  });

  it('finds nothing for single ERC-20 and ETH transfers', () => {
    const one = [items[0]!];
    const erc20 = tx({ to: usdc, tokenTransfers: transfers(one) });
    const single = { mode: 'single' as const, itemCount: 1, totalAmount: 10n, id: 'mp_1:item:0' };
    const ledger = { settle: { amount: 10n, txHash: hash(1) } };
    expect(findings(facts({ delivery: single, items: one, ledger, chain: new Map([[hash(1), erc20]]) }))).toEqual([]);
    const eth = tx({ to: alice, value: 10n, tokenTransfers: [] });
    expect(findings(facts({ delivery: single, items: one, ledger, token: null, asset: 'ETH', chain: new Map([[hash(1), eth]]) }))).toEqual(
      [],
    );
  });

  it('finds nothing for a reverted delivery whose items failed, with gas paid and nothing settled', () => {
    const failed = items.map((item) => ({ ...item, status: 'failed' as const }));
    const reverted = tx({ status: 'reverted', tokenTransfers: [] });
    const f = facts({ delivery: { state: 'reverted' }, items: failed, chain: new Map([[hash(1), reverted]]), ledger: { settle: null } });
    expect(findings(f)).toEqual([]);
  });

  it('defers a delivery whose transaction is above the safe head', () => {
    expect(checkDelivery(facts({ safeHead: 99n })).kind).toBe('defer');
  });
});

describe('checkDelivery: mismatches, one batch_item_mismatch per delivery with its evidence', () => {
  it('names a completed item whose amount differs from what the chain paid (and the ledger settlement it contradicts)', () => {
    const tampered = items.map((item) => (item.seq === 1 ? { ...item, amount: 21n } : item));
    const [finding, ...rest] = findings(facts({ items: tampered }));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      category: 'batch_item_mismatch',
      subject: 'mp_1:chunk:0',
      payoutId: 'mp_1',
      accountId: 'acct_1',
      txHash: hash(1),
    });
    expect(finding!.summary).toContain('item seq 1: the chain paid 20 to');
    expect(finding!.evidence).toMatchObject({
      differences: {
        changed: 1,
        not_paid: 0,
        not_explained: 0,
        changed_items: [{ seq: 1, expected: { to: bob, amount_units: '21' }, found: { to: bob, amount_units: '20', source: 'log 2' } }],
      },
    });
    expect(finding!.evidence.problems).toEqual(
      expect.arrayContaining(['the ledger settled 60 for the delivery; its completed items total 61']),
    );
  });

  it('names a completed item whose address differs from the ETH batch’s calldata', () => {
    const eth = tx({ value: 60n, tokenTransfers: [], input: payEth(items) });
    const tampered = items.map((item) => (item.seq === 2 ? { ...item, address: alice } : item));
    const [finding, ...rest] = findings(facts({ token: null, asset: 'ETH', items: tampered, chain: new Map([[hash(1), eth]]) }));
    expect(rest).toEqual([]);
    expect(finding!.evidence).toMatchObject({
      differences: { changed_items: [{ seq: 2, expected: { to: alice }, found: { to: carol, source: 'payEth #2' } }] },
    });
  });

  it('finds an ETH batch whose value is not the sum of its calldata amounts, and a reverted one', () => {
    const short = tx({ value: 59n, tokenTransfers: [], input: payEth(items) });
    expect(findings(facts({ token: null, asset: 'ETH', chain: new Map([[hash(1), short]]) }))[0]!.summary).toContain(
      'sent 59 wei but its payEth amounts sum to 60',
    );
    const reverted = tx({ status: 'reverted', tokenTransfers: [] });
    expect(findings(facts({ chain: new Map([[hash(1), reverted]]) }))[0]!.summary).toContain('reverted in block 100');
  });

  it('finds a payment no item explains and an item nothing paid', () => {
    const extra = tx({ tokenTransfers: [...transfers(items), { token: usdc, from: wallet, to: carol, value: 5n, logIndex: 9 }] });
    expect(
      findings(facts({ chain: new Map([[hash(1), extra]]), ledger: { settle: { amount: 60n, txHash: hash(1) } } }))[0]!.evidence,
    ).toMatchObject({
      differences: { not_explained: 1, payments_not_explained: [{ to: carol, amount_units: '5', source: 'log 9' }] },
    });
    const missing = tx({ tokenTransfers: transfers(items.slice(0, 2)) });
    expect(findings(facts({ chain: new Map([[hash(1), missing]]) }))[0]!.evidence).toMatchObject({
      differences: { not_paid: 1, items_not_paid: [{ seq: 2, to: carol }] },
    });
  });

  it('finds items of a completed delivery that are not completed, and completed items of a failed delivery', () => {
    const stuck = items.map((item) => (item.seq === 0 ? { ...item, status: 'processing' as const } : item));
    const [paid] = findings(facts({ items: stuck }));
    expect(paid!.evidence.problems).toEqual(
      expect.arrayContaining(['1 item(s) of the completed delivery are not completed (1 not even final): seq 0 is processing']),
    );
    const failed = items.map((item) => ({ ...item, status: item.seq === 2 ? ('completed' as const) : ('failed' as const) }));
    const reverted = tx({ status: 'reverted', tokenTransfers: [] });
    const [unpaid] = findings(
      facts({ delivery: { state: 'reverted' }, items: failed, chain: new Map([[hash(1), reverted]]), ledger: { settle: null } }),
    );
    expect(unpaid!.summary).toContain('1 item(s) are completed but their delivery is reverted: seq 2');
  });

  it('reports gas that differs from the receipt as a fee_mismatch of the delivery', () => {
    const result = findings(facts({ delivery: { networkFee: 1n } }));
    expect(result.map((f) => [f.category, f.subject])).toEqual([['fee_mismatch', 'mp_1:chunk:0']]);
  });
});

describe('comparePayments', () => {
  it('pairs a changed item with the payment to the same recipient, else with the same amount', () => {
    const payments = [
      { to: alice, amount: 10n, source: 'a' },
      { to: bob, amount: 99n, source: 'b' },
      { to: '0xdead', amount: 30n, source: 'c' },
    ];
    const result = comparePayments(items, payments);
    expect(result.differences.map((d) => [d.item.seq, d.payment.source])).toEqual([
      [1, 'b'],
      [2, 'c'],
    ]);
    expect(result.unpaid).toEqual([]);
    expect(result.unexplained).toEqual([]);
  });

  it('treats (recipient, amount) as a multiset: two identical items need two identical payments', () => {
    const twice = [items[0]!, { ...items[0]!, seq: 5 }];
    expect(comparePayments(twice, [{ to: alice, amount: 10n, source: 'x' }]).unpaid.map((i) => i.seq)).toEqual([5]);
  });
});

describe('checkMassPayout', () => {
  const base: MassPayoutFacts = {
    mass: { id: 'mp_1', accountId: 'acct_1', status: 'partially_completed', asset: 'USDC', totalAmount: 100n },
    wallet,
    completedWithoutDelivery: { count: 0, sample: [] },
    unfinishedWithoutDelivery: { count: 0, sample: [] },
    ledger: { reserved: 100n, settled: 60n, settleEntries: 1, released: 40n },
  };

  it('finds nothing when every item is accounted for and reserve = settled + released', () => {
    expect(checkMassPayout(base)).toEqual([]);
  });

  it('finds an item completed without a delivery, and a reservation not fully settled or released', () => {
    const [finding] = checkMassPayout({
      ...base,
      completedWithoutDelivery: { count: 1, sample: [{ seq: 7, address: alice, amount: 40n, deliveryId: null }] },
      ledger: { ...base.ledger, released: null },
    });
    expect(finding).toMatchObject({ category: 'batch_item_mismatch', subject: 'mp_1', payoutId: 'mp_1', txHash: null });
    expect(finding!.evidence.problems).toEqual([
      `1 item(s) are completed but no delivery paid them: seq 7 (40 to ${alice}, delivery none)`,
      'the ledger reserved 100, settled 60 over 1 deliveries and released 0: 40 is still held after the mass payout ended',
    ]);
  });
});
