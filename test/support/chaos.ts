/**
 * Building blocks of the chaos test (test/chaos.it.test.ts): a seedable random source,
 * a Temporal dev server the test owns (so it can restart it on the same SQLite file),
 * a worker child process that can be SIGKILLed and restarted, the API as a child process,
 * and a scan of the chain for the treasury's transfers.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BlockNotFoundError, decodeFunctionData, erc20Abi, getAddress, type Address, type Hex, type PublicClient } from 'viem';
import { freePort, sleep, spawnManaged, tailFile, typescriptArgs, waitForPort, type ManagedProcess } from '../../scripts/stack/process';
import { startTemporal, type TemporalServer } from '../../scripts/stack/temporal';

export type Log = (message: string) => void;

/** mulberry32: small, fast, good enough to make a chaos schedule reproducible from one number. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** Uniform in [min, max). */
    between: (min: number, max: number) => min + next() * (max - min),
    /** Integer in [min, max], both included. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
  };
}
export type Random = ReturnType<typeof seededRandom>;

/** A fresh address nobody holds a key for: crypto randomness, so it is new on every run whatever the seed. */
export function freshAddress(): Address {
  return getAddress(`0x${randomBytes(20).toString('hex')}`);
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let nextIndex = 0;
  const lane = async () => {
    while (nextIndex < items.length) {
      const index = nextIndex++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Polls `check` until it is true; throws with `what` on timeout or when `aborted()` says so. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; aborted?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.aborted?.()) throw new Error(`aborted while waiting for ${what}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await sleep(options.intervalMs ?? 200);
  }
}

/**
 * A Temporal dev server owned by the test: SQLite file in `dir`, fixed free ports, so
 * `restart()` brings the same server (same address, same workflows) back.
 */
export class OwnTemporal {
  restarts = 0;
  private server?: TemporalServer;

  private constructor(
    private readonly options: { binary: string; dbFile: string; port: number; uiPort: number; logFile: string; log: Log },
  ) {}

  static async start(binary: string, dir: string, log: Log): Promise<OwnTemporal> {
    const [port, uiPort] = [await freePort(), await freePort()];
    const own = new OwnTemporal({
      binary,
      dbFile: path.join(dir, 'temporal.sqlite'),
      port,
      uiPort,
      logFile: path.join(dir, 'temporal.log'),
      log,
    });
    own.server = await startTemporal(own.options);
    return own;
  }

  get address(): string {
    return `127.0.0.1:${this.options.port}`;
  }

  get dbFile(): string {
    return this.options.dbFile;
  }

  /** Stops the server (SIGTERM, SIGKILL after 10 s), waits `pauseMs`, starts it again on the same db file and ports. */
  async restart(pauseMs: number): Promise<{ downMs: number }> {
    const down = Date.now();
    const server = this.server;
    this.server = undefined;
    await server?.stop();
    await sleep(pauseMs);
    this.server = await startTemporal(this.options);
    this.restarts += 1;
    return { downMs: Date.now() - down };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }
}

interface Incarnation {
  number: number;
  process: ManagedProcess;
  logFile: string;
  startedAt: number;
  /** Set before we SIGKILL or stop it, so its exit is not mistaken for a crash. */
  expectedExit: boolean;
  exited: boolean;
  readyAt?: number;
}

/**
 * The worker as a child process (`node --import tsx worker.ts`), in its own process group so
 * a SIGKILL reaches everything it started. An exit we did not cause is recorded
 * and the worker is started again, as a process supervisor would.
 */
export class WorkerSupervisor {
  starts = 0;
  kills = 0;
  readonly unexpectedExits: { number: number; code: number | null; afterMs: number; logFile: string }[] = [];
  private current?: Incarnation;
  private closed = false;
  private restartTimer?: NodeJS.Timeout;
  private static readonly READY_MARKER = 'polling task queue';

  constructor(private readonly options: { env: NodeJS.ProcessEnv; cwd: string; logDir: string; log: Log; restartAfterCrashMs?: number }) {}

  get incarnation(): number {
    return this.current?.number ?? 0;
  }

  start(): void {
    if (this.closed) return;
    clearTimeout(this.restartTimer);
    const number = ++this.starts;
    const logFile = path.join(this.options.logDir, `worker-${number}.log`);
    const child = spawnManaged(`worker-${number}`, process.execPath, typescriptArgs('worker.ts', this.options.cwd), {
      env: this.options.env,
      cwd: this.options.cwd,
      logFile,
    });
    const incarnation: Incarnation = { number, process: child, logFile, startedAt: Date.now(), expectedExit: false, exited: false };
    this.current = incarnation;
    void child.exited.then((code) => {
      incarnation.exited = true;
      if (incarnation.expectedExit || this.closed) return;
      const afterMs = Date.now() - incarnation.startedAt;
      this.unexpectedExits.push({ number, code, afterMs, logFile });
      this.options.log(
        `worker #${number} exited by itself (code ${String(code)}) after ${afterMs} ms; restarting it. Last lines of ${logFile}:\n` +
          tailFile(logFile, 15),
      );
      if (this.current === incarnation) this.restartTimer = setTimeout(() => this.start(), this.options.restartAfterCrashMs ?? 1_000);
    });
  }

  /** True once the current worker printed that it polls its task queue (bundle built, connected). */
  isReady(): boolean {
    const current = this.current;
    if (!current || current.exited) return false;
    if (current.readyAt !== undefined) return true;
    let text: string;
    try {
      text = fs.readFileSync(current.logFile, 'utf8');
    } catch {
      return false;
    }
    if (!text.includes(WorkerSupervisor.READY_MARKER)) return false;
    current.readyAt = Date.now();
    this.options.log(`worker #${current.number} (pid ${current.process.pid}) polling after ${current.readyAt - current.startedAt} ms`);
    return true;
  }

  async waitReady(timeoutMs: number, aborted: () => boolean): Promise<void> {
    await waitUntil('the worker to poll its task queue', () => this.isReady(), { timeoutMs, intervalMs: 100, aborted });
  }

  /** SIGKILL to the current worker's process group; resolves once it is gone. */
  async kill(): Promise<{ number: number; uptimeMs: number }> {
    const current = this.current;
    if (!current) throw new Error('no worker to kill');
    current.expectedExit = true;
    try {
      process.kill(-current.process.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await current.process.exited;
    this.kills += 1;
    return { number: current.number, uptimeMs: Date.now() - current.startedAt };
  }

  /** Stops for good: no more restarts; SIGTERM (graceful), SIGKILL after 10 s. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    const current = this.current;
    if (!current) return;
    current.expectedExit = true;
    await current.process.stop();
  }
}

/**
 * The HTTP API as a child process (`node --import tsx api/server.ts`, as `npm run api` runs it)
 * on a free port, pointed at the test's Temporal server and task queue by `env`.
 */
export async function startApiProcess(options: {
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  log: Log;
}): Promise<{ url: string; process: ManagedProcess; exited: () => boolean; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawnManaged('api', process.execPath, typescriptArgs('api/server.ts', options.cwd), {
    env: { ...options.env, API_PORT: String(port), API_HOST: '127.0.0.1' },
    cwd: options.cwd,
    logFile: options.logFile,
  });
  let hasExited = false;
  void child.exited.then(() => (hasExited = true));
  const started = Date.now();
  try {
    await waitForPort('127.0.0.1', port, { timeoutMs: 120_000, process: child, logFile: options.logFile });
  } catch (error) {
    await child.stop();
    throw error;
  }
  options.log(`API (pid ${child.pid}) listening on 127.0.0.1:${port} after ${Date.now() - started} ms`);
  return { url: `http://127.0.0.1:${port}`, process: child, exited: () => hasExited, stop: child.stop };
}

export interface TreasuryPayment {
  hash: Hex;
  blockNumber: bigint;
  nonce: number;
  recipient: Address;
  kind: 'native' | 'erc20';
  amount: bigint;
}

/**
 * A block the node already reported a head above. Once (CI, 2026-12-04) anvil answered null for one such block during
 * the scan after the chaos run; a few tries a moment apart tell a momentary answer from a missing block.
 */
async function blockAtOrBelowHead(client: PublicClient, blockNumber: bigint) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.getBlock({ blockNumber, includeTransactions: true });
    } catch (error) {
      if (!(error instanceof BlockNotFoundError) || attempt >= 5) throw error;
      await sleep(500);
    }
  }
}

/**
 * Every mined transaction from `treasury` in [fromBlock, toBlock] that pays one of `recipients`:
 * a native transfer with value > 0 to it, or an ERC-20 `transfer(recipient, amount)` call to `token`.
 */
export async function scanTreasuryPayments(
  client: PublicClient,
  options: { fromBlock: bigint; toBlock: bigint; treasury: Address; token: Address; recipients: ReadonlySet<string> },
): Promise<{ payments: TreasuryPayment[]; treasuryTransactions: number; blocks: number }> {
  const treasury = options.treasury.toLowerCase();
  const token = options.token.toLowerCase();
  const numbers: bigint[] = [];
  for (let n = options.fromBlock; n <= options.toBlock; n++) numbers.push(n);
  const payments: TreasuryPayment[] = [];
  let treasuryTransactions = 0;
  await mapLimit(numbers, 8, async (blockNumber) => {
    const block = await blockAtOrBelowHead(client, blockNumber);
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== treasury) continue;
      treasuryTransactions += 1;
      const to = tx.to?.toLowerCase();
      if (to === undefined) continue;
      const base = { hash: tx.hash, blockNumber, nonce: tx.nonce };
      if (options.recipients.has(to) && tx.value > 0n) {
        payments.push({ ...base, recipient: getAddress(to), kind: 'native', amount: tx.value });
      } else if (to === token) {
        let decoded;
        try {
          decoded = decodeFunctionData({ abi: erc20Abi, data: tx.input });
        } catch {
          continue; // not an ERC-20 call
        }
        if (decoded.functionName !== 'transfer') continue;
        const [recipient, amount] = decoded.args;
        if (options.recipients.has(recipient.toLowerCase())) {
          payments.push({ ...base, recipient: getAddress(recipient), kind: 'erc20', amount });
        }
      }
    }
  });
  payments.sort((a, b) => (a.blockNumber === b.blockNumber ? a.nonce - b.nonce : a.blockNumber < b.blockNumber ? -1 : 1));
  return { payments, treasuryTransactions, blocks: numbers.length };
}
