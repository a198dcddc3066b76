/**
 * Lets several client connections share PGlite's single backend session
 * safely, like pgbouncer's transaction pooling.
 *
 * Why not pglite-socket's own multiplexer (`maxConnections > 1`): it switches
 * connections between individual protocol messages. node-postgres sends a
 * parameterised query as Parse/Bind/Describe/Execute/Sync, so another
 * connection's Parse can replace the unnamed statement or portal in between
 * ("portal "" does not exist", wrong statement bound, or a hang). Measured
 * with two pg.Pools on @electric-sql/pglite-socket 0.2.17.
 *
 * Here a connection owns the backend from its first message until the server
 * answers ReadyForQuery with status Idle, i.e. until its query round trip and
 * any open transaction are finished. Others queue meanwhile (FIFO).
 */
import type { PGlite } from '@electric-sql/pglite';

/** Frontend Terminate ('X'): the client is leaving; never forward it to the shared session. */
const TERMINATE = 0x58;
/** Backend ReadyForQuery ('Z'); its one-byte payload is the transaction status. */
const READY_FOR_QUERY = 0x5a;
const STATUS_IDLE = 0x49; // 'I' (vs 'T' in transaction, 'E' failed transaction)

const SYNC_MESSAGE = new Uint8Array([0x53, 0, 0, 0, 4]);
/** How long others may wait on an idle owner before we say so (a hang is otherwise silent). */
const STALL_WARNING_MS = 5_000;

interface Job {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: Error) => void;
}

/**
 * Drop-in for pglite-socket's internal QueryQueueManager (same three methods
 * its PGLiteSocketHandler calls, plus getQueueLength for getStats()).
 */
export class SessionQueue {
  private jobs: Job[] = [];
  /** Connection that currently owns the backend session, or null when it is idle. */
  private owner: number | null = null;
  private pumping = false;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: PGlite,
    private readonly warn: (msg: string) => void = () => {},
  ) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.jobs.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength(): number {
    return this.jobs.length;
  }

  clearQueueForHandler(handlerId: number): void {
    const dropped = this.jobs.filter((job) => job.handlerId === handlerId);
    this.jobs = this.jobs.filter((job) => job.handlerId !== handlerId);
    for (const job of dropped) job.reject(new Error('Handler disconnected'));
  }

  /** Called when a connection goes away: undo its half-done work and let the others in. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    await this.release(handlerId);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        // While a connection owns the session only its messages may run; if it has
        // none queued yet (client busy between statements), everyone waits.
        const index = this.owner === null ? 0 : this.jobs.findIndex((job) => job.handlerId === this.owner);
        const job = index >= 0 ? this.jobs.splice(index, 1)[0] : undefined;
        if (!job) {
          if (this.jobs.length > 0) this.watchForStall();
          return;
        }

        if (job.message[0] === TERMINATE) {
          await this.release(job.handlerId);
          job.resolve(0);
          continue;
        }

        this.owner = job.handlerId;
        const tracker = new ReadyTracker();
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(job.message, {
              onRawData: (data) => {
                bytes += data.length;
                tracker.feed(data);
                job.onData(data);
              },
            }),
          );
        } catch (error) {
          // The handler detaches on this error, which releases the session.
          job.reject(error as Error);
          continue;
        }
        if (tracker.idle) this.owner = null;
        job.resolve(bytes);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * A transaction that waits for work on another connection (e.g. BEGIN on one
   * pool client, then a query on another) deadlocks here, unlike on a real
   * server. Say so instead of hanging silently.
   */
  private watchForStall(): void {
    if (this.stallTimer) return;
    const owner = this.owner;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      if (this.owner !== owner || this.jobs.length === 0) return;
      this.warn(
        `embedded postgres: connection #${String(owner)} has kept a transaction open for ${STALL_WARNING_MS / 1000}+ s ` +
          `while ${this.jobs.length} message(s) from other connections wait. PGlite runs one transaction at a time; ` +
          'code that waits on another connection inside a transaction deadlocks here (it works on real PostgreSQL).',
      );
    }, STALL_WARNING_MS);
    this.stallTimer.unref();
  }

  /**
   * If `handlerId` owns the session, end whatever it left open, as a real
   * backend would on disconnect: Sync closes an unfinished extended-protocol
   * sequence, ROLLBACK an open or failed transaction.
   */
  private async release(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    try {
      if (!this.db.closed) {
        const afterSync = await this.runSilently(SYNC_MESSAGE);
        if (!afterSync.idle) await this.runSilently(simpleQuery('ROLLBACK'));
      }
    } catch {
      // Database closing under us during shutdown: nothing left to clean.
    }
    this.owner = null;
  }

  private async runSilently(message: Uint8Array): Promise<ReadyTracker> {
    const tracker = new ReadyTracker();
    await this.db.runExclusive(() => this.db.execProtocolRawStream(message, { onRawData: (data) => tracker.feed(data) }));
    return tracker;
  }
}

/**
 * Follows backend message framing (type byte + int32 length) across chunks to
 * learn whether the response ended with ReadyForQuery(Idle).
 */
class ReadyTracker {
  idle = false;
  private header: number[] = [];
  private remaining = 0;
  private type = 0;

  feed(data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, data.length - i);
        if (this.type === READY_FOR_QUERY && take > 0) this.idle = data[i] === STATUS_IDLE;
        this.remaining -= take;
        i += take;
        continue;
      }
      this.header.push(data[i++] ?? 0);
      if (this.header.length === 5) {
        const [type = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0] = this.header;
        this.type = type;
        this.remaining = ((b1 << 24) | (b2 << 16) | (b3 << 8) | b4) - 4;
        this.header = [];
        // Any message after a ReadyForQuery means the session is busy again.
        this.idle = false;
      }
    }
  }
}

function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(sql + '\0', 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0, 'latin1');
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return new Uint8Array(message);
}
