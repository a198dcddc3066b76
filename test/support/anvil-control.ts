/**
 * The chain's own faults, through anvil's test methods: mining paused and resumed, a sender's pending transactions
 * read from the mempool and dropped from it, and the head reorganized away. A transaction in a reorganized block is
 * gone from the chain and from the mempool (anvil does not put it back), as after a reorg that a node's peers never
 * re-gossiped: only its sender can bring it back.
 */
import type { Address, Hex, PublicClient } from 'viem';

interface TxpoolContent {
  pending: Record<string, Record<string, { hash: Hex; nonce: Hex }>>;
  queued: Record<string, Record<string, { hash: Hex; nonce: Hex }>>;
}

export function anvilControl(client: Pick<PublicClient, 'request' | 'getBlock'>) {
  const call = <T>(method: string, params: unknown[] = []) =>
    client.request({ method: method as never, params: params as never }) as Promise<T>;
  return {
    /** No blocks until `resumeMining`: transactions wait in the mempool. */
    pauseMining: () => call<null>('evm_setIntervalMining', [0]),
    resumeMining: (blockTimeSeconds = 1) => call<null>('evm_setIntervalMining', [blockTimeSeconds]),

    /** The sender's transactions waiting in the mempool (pending and queued), lowest nonce first. */
    async waitingFrom(sender: Address): Promise<{ hash: Hex; nonce: bigint }[]> {
      const content = await call<TxpoolContent>('txpool_content');
      const of = (pool: TxpoolContent['pending']) =>
        Object.entries(pool)
          .filter(([address]) => address.toLowerCase() === sender.toLowerCase())
          .flatMap(([, byNonce]) => Object.values(byNonce));
      return [...of(content.pending), ...of(content.queued)]
        .map((tx) => ({ hash: tx.hash, nonce: BigInt(tx.nonce) }))
        .sort((a, b) => (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0));
    },

    /** Removes a transaction from the mempool, as a node that evicted it would. */
    dropTransaction: (hash: Hex) => call<Hex | null>('anvil_dropTransaction', [hash]),

    /**
     * Replaces the last `depth` blocks with empty ones at the same heights, once they hold a transaction of `sender`
     * (waiting up to `timeoutMs` for that). Mining is paused meanwhile, so the blocks read are the blocks replaced.
     * Returns the sender's transactions that were taken away: they are no longer on the chain, nor in the mempool.
     */
    async reorgAwayFrom(sender: Address, depth: number, timeoutMs: number, resumeBlockTimeSeconds = 1): Promise<Hex[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await call<null>('evm_setIntervalMining', [0]);
        try {
          const head = await client.getBlock({ blockTag: 'latest', includeTransactions: true });
          const blocks = [head];
          while (blocks.length < depth) {
            blocks.push(await client.getBlock({ blockNumber: head.number - BigInt(blocks.length), includeTransactions: true }));
          }
          const taken = blocks.flatMap((block) =>
            block.transactions.filter((tx) => tx.from.toLowerCase() === sender.toLowerCase()).map((tx) => tx.hash),
          );
          if (taken.length > 0 || Date.now() > deadline) {
            await call<null>('anvil_reorg', [depth, []]);
            return taken;
          }
        } finally {
          await call<null>('evm_setIntervalMining', [resumeBlockTimeSeconds]);
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    },
  };
}
export type AnvilControl = ReturnType<typeof anvilControl>;
