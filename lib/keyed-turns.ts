/**
 * In-process turns per key: at most `width` calls that name the same key run at once; the rest wait in arrival order.
 * A call naming several keys takes them in sorted order, so two calls can never wait on each other.
 */
export function keyedTurns(width = 1) {
  if (!Number.isInteger(width) || width < 1) throw new Error(`keyedTurns: width must be a positive integer, got ${width}`);
  const lanes = new Map<string, { running: number; waiting: (() => void)[] }>();

  async function take(key: string): Promise<() => void> {
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = { running: 0, waiting: [] }));
    if (lane.running < width) lane.running += 1;
    else await new Promise<void>((resolve) => lane.waiting.push(resolve)); // the releaser hands its place over
    return () => {
      const next = lane.waiting.shift();
      if (next) return next();
      lane.running -= 1;
      // An idle key leaves nothing behind: keys come and go with the wallets and assets in use.
      if (lane.running === 0) lanes.delete(key);
    };
  }

  return {
    async run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
      const releases: (() => void)[] = [];
      try {
        for (const key of [...new Set(keys)].sort()) releases.push(await take(key));
        return await fn();
      } finally {
        for (const release of releases.reverse()) release();
      }
    },
    /** Keys someone holds or waits for (for tests). */
    size: () => lanes.size,
  };
}
