/**
 * How many updates to the coordinator one process has in flight at once. The server holds at most
 * 100 in flight on one workflow (`history.maxInFlightUpdates`, docs/deploy.md), and one more
 * refused there aborts all the others, whose senders send them again: a process that asks for a
 * thousand backups at once (a script over every app, a client's Promise.all) kept the coordinator
 * in that loop and lost 43 % of its requests (bench/scale's burst, docs/scale.md). A process sends
 * at most UPDATES_PER_PROCESS at once; the rest wait their turn here, in order.
 */

/** A process's coordinator updates in flight at most: the server's limit shared with other senders. */
export const UPDATES_PER_PROCESS = 32;

/** A first-come, first-served limit on calls running at once. */
export class Admission {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /**
   * Runs `call` once fewer than `limit` calls admitted here are running. `signal` aborted while it
   * waits (its activity cancelled or timed out, its worker shutting down) ends the wait with the
   * signal's reason, and `call` never runs.
   */
  async run<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.running >= this.limit) await this.admitted(signal);
    else this.running++;
    try {
      return await call();
    } finally {
      // hand the slot to the next in line, or give it back
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Waits for a slot handed over by a call that ended, or for `signal`. */
  private admitted(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((admit, abort) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(take), 1);
        const why: unknown = signal?.reason;
        abort(why instanceof Error ? why : new Error(`gave up waiting for a coordinator update slot: ${String(why)}`));
      };
      const take = () => {
        signal?.removeEventListener('abort', onAbort);
        admit();
      };
      this.waiting.push(take);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Calls running now, and calls waiting for a slot. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

/** The one Admission every coordinator update of this process goes through (coordinator-update.ts). */
export const coordinatorUpdates = new Admission(UPDATES_PER_PROCESS);
