/**
 * A walk begun before the backup can use it. Opening an encrypted drive spends about half a second
 * in scrypt (calibrated so, on a thread of its own); the walk needs no key, so a caller starts it
 * first and the sources are listed meanwhile (an unchanged re-run of 10,000 files spent 0.3 s of
 * its 0.9 s waiting for the key, then 0.3 s listing). The backup takes the events from the start,
 * in the walk's usual order. At most `limit` wait in memory until the backup starts taking them, then
 * at most FOLLOWING_EVENTS more (the backup's own look-ahead runs ahead of the files; events held
 * longer only outlive the young generation and cost collections).
 *
 * Paths the backup must not store but that are known only once the drive is open (its file cache,
 * another drive of a resumed checkpoint) are given to `events()`: they are skipped from then on by
 * the walk itself, and dropped (with everything under them) from the events already waiting.
 */
import { resolve } from 'node:path';
import { EngineError } from './errors';
import { rootListing, walkKey } from './source-listing';
import { walkListing } from './walker';
import type { WalkEvent } from './walker';
import type { EventSource } from './look-ahead';

/** Events the walk may run ahead of the backup: about what it lists while the key is derived. */
export const WALK_AHEAD_EVENTS = 16_384;
/** Events the walk keeps ready once the backup takes them. */
export const FOLLOWING_EVENTS = 256;

export class WalkAhead {
  /** the sources, resolved as the backup resolves them */
  readonly sources: string[];
  /** events listed and not yet taken: `queue[head..]` */
  private queue: WalkEvent[] = [];
  private head = 0;
  private readonly exclude: Set<string>;
  private finished = false;
  private failure: { error: unknown } | null = null;
  private stopped = false;
  private wakeReader: (() => void) | null = null;
  private wakeWalker: (() => void) | null = null;
  /** settles once the sources' root is listed: rejects as the backup's own listing would */
  private readonly rooted: Promise<void>;

  private constructor(
    sources: string[],
    exclude: Iterable<string>,
    private limit: number,
  ) {
    this.sources = sources.map((s) => resolve(s));
    this.exclude = new Set([...exclude].map((p) => walkKey(resolve(p))));
    const root = rootListing(this.sources);
    this.rooted = root.then(() => undefined);
    this.rooted.catch(() => undefined); // reported by ready() or events(), whichever the caller reaches
    void this.walk(root);
  }

  /** Starts listing `sources`, never entering the paths in `exclude` (the drives, when known). */
  static start(sources: string[], exclude: Iterable<string> = [], limit = WALK_AHEAD_EVENTS): WalkAhead {
    if (sources.length === 0) throw new EngineError('nothing to back up: no source path given', 'BAD_SOURCE');
    return new WalkAhead(sources, exclude, limit);
  }

  /** Events listed and not yet taken. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Resolves once the sources' root is listed; a missing source is refused here, as without a walk ahead. */
  ready(): Promise<void> {
    return this.rooted;
  }

  /** Ends the walk (a backup that failed before taking its events, or took them all). */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  /**
   * The walk's events from its start, without `exclude` (paths as the walker compares them:
   * latin1 of the path bytes) or anything under an excluded directory. Taken once. Events already
   * listed are also handed over without a promise (`takeNow`, LookAhead's way in).
   */
  events(exclude: Set<string>): EventSource<WalkEvent> & AsyncIterable<WalkEvent> {
    for (const p of exclude) this.exclude.add(p);
    this.limit = Math.min(this.limit, FOLLOWING_EVENTS);
    let skipping = 0; // depth inside an excluded directory
    const takeNow = (): WalkEvent | undefined => {
      for (;;) {
        const ev = this.take();
        if (ev === undefined) return undefined;
        this.wakeWalker?.();
        if (skipping > 0) {
          if (ev.t === 'enter') skipping++;
          else if (ev.t === 'leave') skipping--;
          continue;
        }
        if (ev.t !== 'leave' && exclude.has(ev.path.toString('latin1'))) {
          if (ev.t === 'enter') skipping = 1;
          continue;
        }
        return ev;
      }
    };
    const next = async (): Promise<IteratorResult<WalkEvent>> => {
      for (;;) {
        const ev = takeNow();
        if (ev !== undefined) return { done: false, value: ev };
        if (this.failure) throw this.failure.error;
        if (this.finished || this.stopped) return { done: true, value: undefined };
        await new Promise<void>((r) => (this.wakeReader = r));
      }
    };
    const source: EventSource<WalkEvent> & AsyncIterable<WalkEvent> = {
      takeNow,
      next,
      [Symbol.asyncIterator]: () => source,
    };
    return source;
  }

  private async walk(listing: ReturnType<typeof rootListing>): Promise<void> {
    try {
      const root = await listing;
      for await (const ev of walkListing(root.entries, 0, null, this.exclude)) {
        if (this.stopped) break;
        this.queue.push(ev);
        this.wakeReader?.();
        if (this.queue.length - this.head >= this.limit) await new Promise<void>((r) => (this.wakeWalker = r));
      }
    } catch (err) {
      this.failure = { error: err };
    } finally {
      this.finished = true;
      this.wake();
    }
  }

  /** The next waiting event (a queue over an array: shift() would copy the rest each time). */
  private take(): WalkEvent | undefined {
    if (this.head === this.queue.length) return undefined;
    const ev = this.queue[this.head++];
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return ev;
  }

  private wake(): void {
    const reader = this.wakeReader;
    const walker = this.wakeWalker;
    this.wakeReader = this.wakeWalker = null;
    reader?.();
    walker?.();
  }
}
