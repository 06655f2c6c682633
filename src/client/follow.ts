/**
 * Following a workflow to its end: its live view by query about every `everyMs` (with `live`
 * adding what the query does not hold, the progress its running activity heartbeats), then its
 * result. A workflow failure goes to `onFailed`, which turns it into the caller's result or error.
 * `stop` (Ctrl-C in the CLI) ends the following with FollowInterrupted; the workflow runs on.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/workflow';
import { FollowInterrupted } from './follow-interrupted';

export async function followWorkflow<V, R>(
  client: Client,
  workflowId: string,
  view: QueryDefinition<V, []>,
  onView: (view: V) => void,
  everyMs: number,
  onFailed: (err: WorkflowFailedError) => R,
  live: (view: V) => Promise<V> = (v) => Promise.resolve(v),
  stop?: AbortSignal,
): Promise<R> {
  const handle = client.workflow.getHandle(workflowId);
  let done = false;
  // the result's long poll is cancelled on `stop`, so an interrupted follower exits at once
  const result = (stop ? client.withAbortSignal(stop, () => handle.result()) : handle.result()).finally(
    () => (done = true),
  );
  result.catch(() => undefined);
  const stopped = new Promise<void>((resolve) => stop?.addEventListener('abort', () => resolve(), { once: true }));
  while (!done) {
    if (stop?.aborted) throw new FollowInterrupted(workflowId);
    try {
      onView(await live(await handle.query(view)));
    } catch {
      // The workflow may not have run its first task yet; ask again next round.
    }
    await Promise.race([result.catch(() => undefined), stopped, new Promise((r) => setTimeout(r, everyMs))]);
  }
  if (stop?.aborted) throw new FollowInterrupted(workflowId);
  try {
    return (await result) as R;
  } catch (err) {
    if (err instanceof WorkflowFailedError) return onFailed(err);
    throw err;
  }
}
