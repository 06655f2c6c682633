/**
 * How many updates to the coordinator one process has in flight at once. The server holds at most
 * 100 in flight on one workflow (`history.maxInFlightUpdates`, docs/deploy.md); past it, it refuses
 * the next and aborts updates in flight, whose senders send them again: a process that asks for a
 * thousand backups at once (a script over every app, a client's Promise.all) kept the coordinator
 * in that loop and lost 43 % of its requests (bench/scale's burst, docs/scale.md). A process sends
 * at most UPDATES_PER_PROCESS at once; the rest wait their turn here, in order.
 *
 * Several processes share the server's limit without knowing of each other (four sending 100 at
 * once: 1,273 updates aborted, docs/scale.md). So a process's window is not fixed: it halves when
 * the server refuses one of its updates for the limit or aborts one (`congested`, told by the
 * gRPC retry that sees each refusal, grpc-retry.ts), at most once a second, down to one; and it
 * grows by one for each window's worth of calls that succeed, back to UPDATES_PER_PROCESS. That is how TCP
 * senders share a link (additive increase, multiplicative decrease): each settles near its share.
 */

/** A process's coordinator updates in flight at most: the server's limit shared with other senders. */
export const UPDATES_PER_PROCESS = 32;

/** The window halves at most once in this many ms: one overload aborts many updates at once. */
export const HALVE_EVERY_MS = 1000;

/** A first-come, first-served limit on calls running at once, narrowed while the server is full. */
export class Admission {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** calls allowed at once, in fractions: grows by 1/window per call that succeeds */
  private window: number;
  private lastHalved = -Infinity;

  constructor(
    readonly max: number,
    private readonly now: () => number = Date.now,
  ) {
    this.window = max;
  }

  /** Calls that may run at once now. */
  get limit(): number {
    return Math.floor(this.window);
  }

  /**
   * The server refused or aborted one of this process's updates because it held its limit in
   * flight: halve the window, unless it was halved less than HALVE_EVERY_MS ago.
   */
  congested(): void {
    const t = this.now();
    if (t - this.lastHalved < HALVE_EVERY_MS) return;
    this.lastHalved = t;
    this.window = Math.max(1, this.window / 2);
  }

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
      const answer = await call();
      this.window = Math.min(this.max, this.window + 1 / this.window);
      return answer;
    } finally {
      this.running--;
      this.admitWaiting();
    }
  }

  /** Hands free slots to the calls in line, first come first. */
  private admitWaiting(): void {
    while (this.running < this.limit && this.waiting.length > 0) {
      this.running++;
      (this.waiting.shift() as () => void)();
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
