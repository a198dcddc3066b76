import { safeHead } from '../../domain/networks';
import { blocksWithSentTransactions } from './scan';

/** An account's nonce after each block, from the blocks its transactions are in (counted with repeats). */
function history(sentIn: number[]) {
  const reads: bigint[] = [];
  const nonceAfter = async (block: bigint) => {
    reads.push(block);
    return sentIn.filter((b) => BigInt(b) <= block).length;
  };
  return { nonceAfter, reads };
}

describe('blocksWithSentTransactions', () => {
  it('finds exactly the blocks in which the nonce went up', async () => {
    const { nonceAfter } = history([3, 3, 17, 18, 250, 999]);
    expect(await blocksWithSentTransactions(nonceAfter, 0n, 1000n)).toEqual([3n, 17n, 18n, 250n, 999n]);
    expect(await blocksWithSentTransactions(nonceAfter, 18n, 250n)).toEqual([18n, 250n]);
    expect(await blocksWithSentTransactions(nonceAfter, 19n, 249n)).toEqual([]);
  });

  it('handles block 0 and one-block ranges', async () => {
    const { nonceAfter } = history([0, 5]);
    expect(await blocksWithSentTransactions(nonceAfter, 0n, 0n)).toEqual([0n]);
    expect(await blocksWithSentTransactions(nonceAfter, 5n, 5n)).toEqual([5n]);
    expect(await blocksWithSentTransactions(nonceAfter, 6n, 5n)).toEqual([]);
  });

  it('reads far fewer nonces than blocks for a sparse history', async () => {
    const { nonceAfter, reads } = history([1234, 56_789]);
    expect(await blocksWithSentTransactions(nonceAfter, 0n, 99_999n)).toEqual([1234n, 56_789n]);
    expect(reads.length).toBeLessThan(80);
    expect(new Set(reads).size).toBe(reads.length); // each block's nonce read once
  });

  it('skips a range with no transactions after two reads', async () => {
    const { nonceAfter, reads } = history([10]);
    expect(await blocksWithSentTransactions(nonceAfter, 100n, 5000n)).toEqual([]);
    expect(reads).toEqual([99n, 5000n]);
  });
});

describe('safeHead', () => {
  it('is the last block with the confirmations (counting its own)', () => {
    expect(safeHead(100n, 2)).toBe(99n);
    expect(safeHead(100n, 1)).toBe(100n);
    expect(safeHead(100n, 0)).toBe(100n);
  });
});
