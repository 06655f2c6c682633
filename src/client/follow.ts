/**
 * Following a workflow to its end: its live view by query about every `everyMs` (with `live`
 * adding what the query does not hold, the progress its running activity heartbeats), then its
 * result. A workflow failure goes to `onFailed`, which turns it into the caller's result or error.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/workflow';

export async function followWorkflow<V, R>(
  client: Client,
  workflowId: string,
  view: QueryDefinition<V, []>,
  onView: (view: V) => void,
  everyMs: number,
  onFailed: (err: WorkflowFailedError) => R,
  live: (view: V) => Promise<V> = (v) => Promise.resolve(v),
): Promise<R> {
  const handle = client.workflow.getHandle(workflowId);
  let done = false;
  const result = handle.result().finally(() => (done = true));
  result.catch(() => undefined);
  while (!done) {
    try {
      onView(await live(await handle.query(view)));
    } catch {
      // The workflow may not have run its first task yet; ask again next round.
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, everyMs))]);
  }
  try {
    return (await result) as R;
  } catch (err) {
    if (err instanceof WorkflowFailedError) return onFailed(err);
    throw err;
  }
}
