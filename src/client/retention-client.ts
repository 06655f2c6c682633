/**
 * What the CLI does with retention jobs: start one on a drive (run by the drive's node, its ID
 * from names.ts) and wait for its result.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { BatonConfig } from '../config/load';
import { SEARCH_ATTRIBUTES, coordinatorQueue, retentionWorkflowId } from '../model/names';
import type { AppRetention, RetentionJobInput, RetentionResult } from '../model/operations';
import type { DriveSpec } from '../model/plan';
import type { retentionJob } from '../workflows/retention-job';

/** Starts a retention job on `drive` for `apps`; returns its ID. */
export async function startRetention(
  client: Client,
  config: BatonConfig,
  drive: DriveSpec,
  apps: AppRetention[],
  requestedBy: string,
): Promise<string> {
  const input: RetentionJobInput = {
    cluster: config.cluster,
    jobId: retentionWorkflowId(config.cluster, drive.name, Date.now()),
    drive,
    node: drive.node,
    apps,
    requestedBy,
    settings: config.plan.jobs,
    coordinatorId: null,
  };
  await client.workflow.start<typeof retentionJob>('retentionJob', {
    workflowId: input.jobId,
    taskQueue: coordinatorQueue(config.cluster),
    args: [input],
    staticSummary: `Retention on drive ${drive.name} (cluster ${config.cluster})`,
    staticDetails: `Apps ${apps.map((a) => a.app).join(', ')} on ${drive.path}, run by ${drive.node}; requested by ${requestedBy}.`,
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.cluster, value: config.cluster },
      { key: SEARCH_ATTRIBUTES.node, value: drive.node },
      { key: SEARCH_ATTRIBUTES.state, value: 'pending' },
    ],
  });
  return input.jobId;
}

/** Waits for a retention job's end; a failed one gives the result it attached, with `error` set. */
export async function retentionResult(client: Client, jobId: string): Promise<RetentionResult> {
  try {
    return await client.workflow.getHandle<typeof retentionJob>(jobId).result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    const attached =
      cause instanceof ApplicationFailure ? (cause.details?.[0] as RetentionResult | undefined) : undefined;
    const error = cause?.message ?? err.message;
    if (attached && typeof attached === 'object' && 'apps' in attached) return { ...attached, error };
    return { jobId, state: 'failed', drive: '', node: '', apps: [], error };
  }
}
