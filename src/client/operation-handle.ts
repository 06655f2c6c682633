/**
 * A running or finished restore or verify, from code: its live views while it runs (an async
 * iterator), then its result. `BatonClient.restore` and `verify` return one.
 */
import type { Client } from '@temporalio/client';
import type { OperationResult, OperationView } from '../model/operations';
import { liveViews } from './live-views';
import { followOperation } from './operations-client';

export interface FollowOptions<V> {
  /** Called with each live view while the workflow runs. */
  onView?: (view: V) => void;
  /** How often to ask for the live view, in ms (default 1000). */
  everyMs?: number;
  /** Stops the waiting (FollowInterrupted), not the operation. */
  signal?: AbortSignal;
}

export class OperationHandle {
  constructor(
    private readonly client: Client,
    readonly id: string,
    readonly kind: 'restore' | 'verify',
    /** The view once the request passed its checks (restore: the snapshot, drive and node it uses). */
    readonly accepted: OperationView | null,
  ) {}

  /** The operation's live view about every `everyMs` until it ends. */
  progress(everyMs = 1000): AsyncGenerator<OperationView> {
    return liveViews((onView) => followOperation(this.client, this.id, onView, everyMs));
  }

  /** Waits for the end; a failed or cancelled operation's result has its `state` and `error`. */
  result(options: FollowOptions<OperationView> = {}): Promise<OperationResult> {
    return followOperation(this.client, this.id, options.onView, options.everyMs, options.signal);
  }
}
