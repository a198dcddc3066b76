import { nativeArrivalsInBlock, nativeSpentByBlock } from './arrivals';
import type { ChainTransaction } from './types';

const wallet = '0x00000000000000000000000000000000000000aa';
const where = { network: 'local', wallet, nativeSymbol: 'ETH' };
const sent = (blockNumber: bigint, extra: Partial<ChainTransaction>): ChainTransaction => ({
  hash: `0x${blockNumber}`,
  blockNumber,
  from: wallet,
  to: '0x00000000000000000000000000000000000000bb',
  value: 0n,
  nonce: 0,
  status: 'success',
  fee: 21n,
  tokenTransfers: [],
  ...extra,
});

describe('nativeSpentByBlock', () => {
  it('counts the fee always, the value only when it left: not when reverted, not when sent to itself', () => {
    const spent = nativeSpentByBlock(wallet, [
      sent(5n, { value: 100n }),
      sent(5n, { value: 7n, status: 'reverted' }),
      sent(9n, { value: 50n, to: wallet }), // a same-nonce cancellation sends to itself
    ]);
    expect(spent).toEqual(
      new Map([
        [5n, 100n + 21n + 21n],
        [9n, 21n],
      ]),
    );
  });
});

describe('nativeArrivalsInBlock', () => {
  const transfer = (hash: string, value: bigint, succeeded = true) => ({
    hash,
    from: '0x00000000000000000000000000000000000000cc',
    value,
    succeeded,
  });

  it('names each transfer in by its transaction, and nothing else when they explain the change', () => {
    const arrivals = nativeArrivalsInBlock(where, 12n, 30n, [transfer('0xa', 10n), transfer('0xb', 20n), transfer('0xc', 99n, false)]);
    expect(arrivals).toEqual([
      expect.objectContaining({ id: `deposit:local:${wallet}:ETH:0xa`, units: 10n, txHash: '0xa', blockNumber: 12n }),
      expect.objectContaining({ id: `deposit:local:${wallet}:ETH:0xb`, units: 20n, txHash: '0xb' }),
    ]);
  });

  it('names what no transfer explains by its block: an arrival, or funds that left without a transaction', () => {
    expect(nativeArrivalsInBlock(where, 0n, 500n, [])).toEqual([
      expect.objectContaining({
        id: `deposit:local:${wallet}:ETH:block:0`,
        units: 500n,
        txHash: null,
        memo: expect.stringMatching(/genesis/),
      }),
    ]);
    expect(nativeArrivalsInBlock(where, 7n, 5n, [transfer('0xa', 8n)])).toEqual([
      expect.objectContaining({ units: 8n, txHash: '0xa' }),
      expect.objectContaining({ id: `deposit:local:${wallet}:ETH:block:7`, units: -3n, memo: expect.stringMatching(/left the wallet/) }),
    ]);
  });

  it('without the block’s balance change (a node without history) names the transfers only', () => {
    expect(nativeArrivalsInBlock(where, 7n, null, [transfer('0xa', 8n)])).toEqual([expect.objectContaining({ units: 8n, txHash: '0xa' })]);
  });
});
