/**
 * The walk runs ahead of the files being stored, so upcoming files are read while earlier ones are
 * consumed. The window is bounded in events, in files being read ahead and in their bytes.
 */

export interface Window {
  bytes: number;
  files: number;
  events: number;
}

export const WINDOW: Window = {
  bytes: 64 * 1024 * 1024,
  // four batches of small files: with two, the batch after the one being stored filled up just as
  // that one ended, so the walking thread waited for each batch's whole sealing (100,000 tiny
  // files, medians of 4 interleaved: 4.28 s at 256, 4.00 s at 512, 3.89 s at 768; a million:
  // 30-31 s against 32-38 s, peak RSS 5 MiB more; 1024 once cost a million-file backup 28 MiB)
  files: 512,
  events: 1024,
};

/** An event with what was started for it: `readAhead` is set while its file is being read ahead. */
export interface Started {
  /** bytes of the file that may wait read ahead */
  readAhead?: number;
}

/** The walk's events: an async iterator that may also hand over, without a promise, one already listed. */
export interface EventSource<E> extends AsyncIterator<E> {
  /** an event already listed and waiting, or undefined when the next must be waited for (`next`) */
  takeNow?(): E | undefined;
}

export class LookAhead<E, T extends Started> {
  /**
   * The window's items from `head` on. Taken from the front by index (Array.shift moved the up to
   * 1,024 items behind each one: 1.5 us a file), the taken part cut off once it is half the array.
   */
  private queue: (T | undefined)[] = [];
  private head = 0;
  /** the walk has no more events */
  done = false;
  private bytes = 0;
  private files = 0;

  constructor(
    private readonly events: EventSource<E>,
    /** starts the work for an event as it is walked (for a file: reading it) */
    private readonly start: (ev: E) => T,
    private readonly window: Window = WINDOW,
  ) {}

  get length(): number {
    return this.queue.length - this.head;
  }

  /**
   * Walks on until the window is full or the walk ends. Returns a promise only when it has to wait
   * for the walk: events already listed are taken at once.
   */
  fill(): Promise<void> | undefined {
    while (this.hasRoom()) {
      const ev = this.events.takeNow?.();
      if (ev === undefined) return this.fillWaiting();
      this.add(ev);
    }
    return undefined;
  }

  /** Waits for the walk's next event, then fills on as `fill` does. */
  private async fillWaiting(): Promise<void> {
    const r = await this.events.next();
    if (r.done) {
      this.done = true;
      return;
    }
    this.add(r.value);
    const more = this.fill();
    if (more) await more;
  }

  private hasRoom(): boolean {
    const w = this.window;
    return !this.done && this.bytes < w.bytes && this.files < w.files && this.length < w.events;
  }

  private add(ev: E): void {
    const item = this.start(ev);
    if (item.readAhead !== undefined) {
      this.bytes += item.readAhead;
      this.files++;
    }
    this.queue.push(item);
  }

  /** The next event in walk order, or undefined. */
  shift(): T | undefined {
    if (this.head === this.queue.length) return undefined;
    const item = this.queue[this.head];
    this.queue[this.head++] = undefined; // the consumer owns it now
    if (this.head * 2 >= this.queue.length && this.head >= 64) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Takes an item's file out of the window: its consumer reads it now. */
  release(item: T): void {
    if (item.readAhead === undefined) return;
    this.bytes -= item.readAhead;
    this.files--;
    item.readAhead = undefined;
  }
}
