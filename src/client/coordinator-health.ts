/**
 * Whether a cluster's coordinator is healthy, as a monitor asks it: running, answering its status
 * query within a bound, and placed on a node. The answer is a phrase naming what is wrong (and the
 * way out where there is one), or null.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { coordinatorWorkflowId } from '../model/names';
import { coordinatorStatus } from './coordinator-client';

/** How long the coordinator has to answer before a monitor calls it unhealthy. */
export const COORDINATOR_ANSWER_MS = 10_000;

/**
 * What is wrong with the coordinator of `cluster`, in a phrase, or null: not running, not
 * answering its status query within `answerMs` (its workflow task fails, or no node polls its
 * queue), or never placed on a node. A server that cannot be reached is the caller's error to
 * see: it is not the coordinator's problem.
 */
export async function coordinatorProblem(
  client: Client,
  cluster: string,
  answerMs = COORDINATOR_ANSWER_MS,
): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the coordinator of cluster ${cluster} did not answer within ${answerMs / 1000} s`)),
      answerMs,
    );
  });
  try {
    const run = await Promise.race([client.workflow.getHandle(coordinatorWorkflowId(cluster)).describe(), late]);
    if (run.status.name !== 'RUNNING') {
      return `the coordinator of cluster ${cluster} is not running (its workflow is ${run.status.name}); start it with \`baton apply\``;
    }
    const state = await Promise.race([coordinatorStatus(client, cluster, answerMs), late]);
    return state.host === null ? `the coordinator of cluster ${cluster} has no host (no node has run it yet)` : null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return `the coordinator of cluster ${cluster} is not running; start it with \`baton apply\``;
    }
    return (err as Error).message.split('\n')[0];
  } finally {
    clearTimeout(timer);
  }
}
