/** What the CLI and the demo do with the coordinator: start it, configure it, ask it for backups. */
import {
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { BatonConfig } from '../config/load';
import type { CoordinatorSnapshot } from '../workflows/coordinator-state';
import {
  configureUpdate,
  coordinatorStatusQuery,
  jobViewQuery,
  startBackupUpdate,
  type JobView,
  type StartedBackup,
} from '../workflows/messages';
import { COORDINATOR_QUEUE, SEARCH_ATTRIBUTES, coordinatorWorkflowId } from '../workflows/names';
import type { BackupJobResult } from '../workflows/types';
import { followWorkflow } from './follow';
import { UserError } from './connect';

function causeMessage(err: unknown): string {
  let e = err as Error | undefined;
  while (e && (e as { cause?: Error }).cause) e = (e as { cause?: Error }).cause;
  return e?.message ?? String(err);
}

/** Starts the cluster's coordinator if it is not running, then hands it the config's plan. */
export async function ensureCoordinator(client: Client, config: BatonConfig, tickSeconds?: number): Promise<string> {
  const workflowId = coordinatorWorkflowId(config.cluster);
  const handle = await client.workflow.start('coordinator', {
    workflowId,
    taskQueue: COORDINATOR_QUEUE,
    args: [{ plan: config.plan, tickSeconds }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: `Primary coordinator of cluster ${config.cluster}`,
    staticDetails: `Directs the backup services of ${config.plan.nodes.length} nodes for ${config.plan.apps.length} apps.`,
    typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.cluster, value: config.cluster }],
  });
  try {
    await handle.executeUpdate(configureUpdate, { args: [config.plan] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new UserError(`coordinator refused the plan: ${causeMessage(err)}`);
    throw err;
  }
  return workflowId;
}

export async function requestBackup(
  client: Client,
  cluster: string,
  app: string,
  requestedBy: string,
  full = false,
): Promise<StartedBackup> {
  const handle = client.workflow.getHandle(coordinatorWorkflowId(cluster));
  try {
    return await handle.executeUpdate(startBackupUpdate, { args: [{ app, requestedBy, full }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new UserError(causeMessage(err));
    if (err instanceof WorkflowNotFoundError) {
      throw new UserError(
        `the coordinator of cluster ${cluster} is not running; start the cluster with \`npm run demo\` first`,
      );
    }
    // An update validator's rejection arrives as a plain error carrying the validator's message.
    if ((err as Error).name === 'WorkflowUpdateRPCTimeoutOrCancelledError') throw err;
    throw new UserError(causeMessage(err));
  }
}

export async function coordinatorStatus(client: Client, cluster: string): Promise<CoordinatorSnapshot> {
  try {
    return await client.workflow.getHandle(coordinatorWorkflowId(cluster)).query(coordinatorStatusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new UserError(`the coordinator of cluster ${cluster} is not running; start it with \`npm run demo\``);
    }
    throw err;
  }
}

/** Waits for a job to end, calling `onView` with its live view about every `everyMs`. */
export async function followJob(
  client: Client,
  jobId: string,
  onView: (view: JobView) => void,
  everyMs = 1000,
): Promise<BackupJobResult> {
  return followWorkflow<JobView, BackupJobResult>(client, jobId, jobViewQuery, onView, everyMs, (err) => {
    throw new UserError(causeMessage(err));
  });
}
