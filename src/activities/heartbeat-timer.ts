/**
 * Heartbeats on a timer while an activity waits on something that reports no progress of its own
 * (a job's result, the coordinator's answer, a prune): the activity stays alive, and a node that
 * dies meanwhile is found at the activity's heartbeat timeout.
 */
import { Context } from '@temporalio/activity';

/** Heartbeats `details` now and every `everyMs` until the returned function is called. */
export function heartbeatEvery(everyMs: number, details?: unknown): () => void {
  const ctx = Context.current();
  ctx.heartbeat(details);
  const timer = setInterval(() => ctx.heartbeat(details), everyMs);
  return () => clearInterval(timer);
}
