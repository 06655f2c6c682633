/**
 * Updates to the coordinator that are refused for a moment, retried here briefly:
 *   - while it hands over to its next run (continue-as-new): the next run takes them within a
 *     workflow task or two (a run that closed before it took a request is the same refusal, and
 *     starts the window again: coordinator-update.ts, RunClosedBeforeTaking);
 *   - when the server already holds its limit of updates in flight for one workflow
 *     (RESOURCE_EXHAUSTED, 10 by default: a schedule firing for many apps at once meets it);
 *   - for up to 6 s, while its last workflow task failed or timed out (gRPC's FAILED_PRECONDITION,
 *     the code of that refusal, read from the error or a cause, not from its words): on a
 *     loaded server a task can time out and the next try succeed (bench/scale saw 511 requests
 *     refused as "stuck" that way); a coordinator that is stuck for good still is after 6 s (three 2 s task timeouts), and
 *     the caller then says so (stuckCoordinatorError).
 * Any other failure, or a refusal longer than its window, is thrown as it came.
 */
import { ApplicationFailure } from '@temporalio/common';
import { COORDINATOR_DRAINING } from '../workflows/messages';
import { FAILED_PRECONDITION } from './failed-task';

const RESOURCE_EXHAUSTED = 8;
const UPDATES_IN_FLIGHT = /in-flight updates/i;
const FAILED_TASK_WINDOW_MS = 6_000;

type Link = { cause?: unknown; code?: unknown; message?: unknown; details?: unknown };

/** Whether `e` is the server's refusal of an update past its limit in flight (message or details). */
function isInFlightRefusal(e: Link): boolean {
  const text = `${String(e.message)} ${typeof e.details === 'string' ? e.details : ''}`;
  return e.code === RESOURCE_EXHAUSTED && UPDATES_IN_FLIGHT.test(text);
}

/**
 * Whether `err`, or an error it was caused by, is that refusal: it reaches the caller once the
 * connection's own retries gave up (a NativeConnection's happen inside it, unseen by grpc-retry.ts).
 */
export function isUpdatesInFlightRefusal(err: unknown): boolean {
  for (let e = err as Link | undefined; e; e = e.cause as Link | undefined) if (isInFlightRefusal(e)) return true;
  return false;
}

/**
 * Whether `err`, or an error it was caused by, is the coordinator's refusal while it hands over to
 * its next run (continue-as-new): momentary however long it lasted, never an answer to the request.
 */
export function isHandingOver(err: unknown): boolean {
  for (let e = err as Link | undefined; e; e = e.cause as Link | undefined) {
    if (e instanceof ApplicationFailure && e.type === COORDINATOR_DRAINING) return true;
  }
  return false;
}

/** How long a refusal like `err` is worth retrying, in ms; 0 when it is not momentary. */
function windowOf(err: unknown, timeoutMs: number): number {
  for (let e = err as Link | undefined; e; e = e.cause as Link | undefined) {
    if (e instanceof ApplicationFailure) {
      if (e.type === COORDINATOR_DRAINING) return timeoutMs;
      continue;
    }
    if (isInFlightRefusal(e)) return timeoutMs;
    // update-with-start's refusal is a plain Error, but it carries the code too
    if (e.code === FAILED_PRECONDITION) return Math.min(timeoutMs, FAILED_TASK_WINDOW_MS);
  }
  return 0;
}

/**
 * A try addressed to one run of the coordinator that closed while it held the request, before it
 * took it (coordinator-update.ts): the coordinator did hand over, and the next run is new.
 */
export class RunClosedBeforeTaking extends Error {}

/** How many windows a request may spend in all, when runs close on it one after another. */
const WINDOWS_AT_MOST = 4;

/**
 * `onRetry` hears each refusal that is retried (bench/scale records them). A run that closed while
 * it held the request starts the window again: under load a run may take many seconds to close
 * (bench/scale: a try held 28 s by a run that tried to continue as new 7 times), and its next run
 * has had none of the window; at most WINDOWS_AT_MOST windows in all.
 */
export async function retryWhileDraining<T>(
  call: () => Promise<T>,
  timeoutMs = 30_000,
  onRetry?: (err: unknown) => void,
): Promise<T> {
  const first = Date.now();
  let started = first;
  for (let waitMs = 50; ; waitMs = Math.min(waitMs * 2, 1000)) {
    try {
      return await call();
    } catch (err) {
      if (err instanceof RunClosedBeforeTaking && Date.now() < first + (WINDOWS_AT_MOST - 1) * timeoutMs) {
        started = Date.now();
      }
      if (Date.now() + waitMs > started + windowOf(err, timeoutMs)) throw err;
      onRetry?.(err);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}
