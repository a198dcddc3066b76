/**
 * Benchmark-only entity workflow: one long-running workflow per treasury wallet
 * (network + address) that owns `next` and hands out nonces through the
 * `allocate` Update. Workflow code runs one activation at a time, so handlers never
 * interleave and every nonce is handed out exactly once. After `continueAsNewAfter`
 * allocations it continues as new with `next` carried over, to keep the history
 * (and the per-run update count) bounded.
 *
 * Not used by the engine; bundled by the Worker in bench/nonce-allocation.ts.
 */
import { allHandlersFinished, condition, continueAsNew, defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';

export interface NonceEntityArgs {
  /** First nonce this run hands out. */
  next: number;
  /** Continue as new after this many allocations in one run. */
  continueAsNewAfter: number;
  /** Run counter, 0 for the first run; reported with each nonce so the benchmark sees continue-as-new happen. */
  generation: number;
}

export interface Allocation {
  nonce: number;
  generation: number;
}

export const allocateUpdate = defineUpdate<Allocation>('allocate');
/** The nonce the next `allocate` would return (for the benchmark's gap check). */
export const nextNonceQuery = defineQuery<number>('next');

export async function nonceEntityWorkflow(args: NonceEntityArgs): Promise<never> {
  let next = args.next;
  let allocatedThisRun = 0;

  // Synchronous handler: read and bump in one step, no await between them.
  setHandler(allocateUpdate, () => {
    allocatedThisRun += 1;
    return { nonce: next++, generation: args.generation };
  });
  setHandler(nextNonceQuery, () => next);

  // Updates delivered in the same activation as the limit is reached are still
  // answered by this run (allHandlersFinished), and `next` includes them.
  await condition(() => allocatedThisRun >= args.continueAsNewAfter && allHandlersFinished());
  return continueAsNew<typeof nonceEntityWorkflow>({ ...args, next, generation: args.generation + 1 });
}
