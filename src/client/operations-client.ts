/**
 * What the client does with restore and verify workflows: start them (the IDs come from names.ts;
 * the workflow types are checked against the workflow functions' signatures),
 * wait until a restore's request passed its checks on the node, and follow them to their end.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { BatonConfig } from '../config/load';
import { operationViewQuery } from '../workflows/messages';
import { SEARCH_ATTRIBUTES, coordinatorQueue, restoreWorkflowId, verifyWorkflowId } from '../model/names';
import { WORKFLOW_TASK_TIMEOUT } from '../model/task-timeouts';
import type { DriveSpec } from '../model/plan';
import type { OperationResult, OperationView, RestoreJobInput, VerifyJobInput } from '../model/operations';
import { UserError } from '../model/errors';
import type { restoreJob } from '../workflows/restore-job';
import type { verifyJob } from '../workflows/verify-job';
import { followWorkflow } from './follow';
import { operationProgress, withOperationProgress } from './live-progress';

/** What `baton restore` asks for: a restore workflow's input less what the client fills in. */
export type RestoreStart = Omit<RestoreJobInput, 'cluster' | 'jobId' | 'settings'>;

/** Starts a restore workflow; returns its ID. */
export async function startRestore(client: Client, config: BatonConfig, req: RestoreStart): Promise<string> {
  const input: RestoreJobInput = {
    cluster: config.cluster,
    jobId: restoreWorkflowId(config.cluster, req.app, Date.now()),
    app: req.app,
    snapshotId: req.snapshotId,
    node: req.node,
    target: req.target,
    subtree: req.subtree,
    ...(req.paths?.length ? { paths: req.paths } : {}),
    ...(req.noDevices ? { noDevices: true } : {}),
    ...(req.noSetuid ? { noSetuid: true } : {}),
    requestedBy: req.requestedBy,
    settings: config.plan.jobs,
  };
  await client.workflow.start<typeof restoreJob>('restoreJob', {
    workflowId: input.jobId,
    taskQueue: coordinatorQueue(config.cluster),
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
    args: [input],
    staticSummary: `Restore of app ${req.app} (cluster ${config.cluster})`,
    staticDetails:
      `Snapshot ${req.snapshotId ?? "(the app's latest)"} into \`${req.target}\`` +
      `${req.subtree ? ` (only ${req.subtree})` : ''}${req.paths?.length ? ` (only ${req.paths.join(', ')})` : ''} on ${req.node ?? "the app's current host"}; ` +
      `requested by ${req.requestedBy}.`,
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.cluster, value: config.cluster },
      { key: SEARCH_ATTRIBUTES.app, value: req.app },
      { key: SEARCH_ATTRIBUTES.state, value: 'pending' },
      ...(req.node ? [{ key: SEARCH_ATTRIBUTES.node, value: req.node }] : []),
    ],
  });
  return input.jobId;
}

/** Starts a verify workflow on the drive's own node; returns its ID. */
export async function startVerify(
  client: Client,
  config: BatonConfig,
  drive: DriveSpec,
  readData: boolean,
  requestedBy: string,
): Promise<string> {
  const input: VerifyJobInput = {
    cluster: config.cluster,
    jobId: verifyWorkflowId(config.cluster, drive.name, Date.now()),
    drive,
    node: drive.node,
    readData,
    requestedBy,
    settings: config.plan.jobs,
  };
  await client.workflow.start<typeof verifyJob>('verifyJob', {
    workflowId: input.jobId,
    taskQueue: coordinatorQueue(config.cluster),
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
    args: [input],
    staticSummary: `Verify of drive ${drive.name} (cluster ${config.cluster})`,
    staticDetails: `${readData ? 'Structure and every byte' : 'Structure'} of ${drive.path}, read on ${drive.node}; requested by ${requestedBy}.`,
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.cluster, value: config.cluster },
      { key: SEARCH_ATTRIBUTES.node, value: drive.node },
      { key: SEARCH_ATTRIBUTES.state, value: 'pending' },
    ],
  });
  return input.jobId;
}

/** The operation's result from a failed workflow: the result it attached, or one built from the failure. */
function failedResult(jobId: string, err: WorkflowFailedError): OperationResult {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    const attached = cause.details?.[0] as OperationResult | undefined;
    if (attached && typeof attached === 'object' && 'kind' in attached) return { ...attached, error: cause.message };
    return { jobId, kind: 'restore', state: 'failed', node: null, app: null, drive: null, error: cause.message };
  }
  const message = cause?.message ?? err.message;
  return {
    jobId,
    kind: 'restore',
    state: cause?.name === 'CancelledFailure' ? 'cancelled' : 'failed',
    node: null,
    app: null,
    drive: null,
    error: message,
  };
}

/**
 * Waits for the operation's end; a failed or cancelled one gives its result with `error` set.
 * `stop` ends the waiting (FollowInterrupted), not the operation.
 */
export async function followOperation(
  client: Client,
  jobId: string,
  onView: (view: OperationView) => void = () => undefined,
  everyMs = 1000,
  stop?: AbortSignal,
): Promise<OperationResult> {
  return followWorkflow(
    client,
    jobId,
    operationViewQuery,
    onView,
    everyMs,
    (err) => failedResult(jobId, err),
    async (view) => withOperationProgress(view, await operationProgress(client, jobId).catch(() => null)),
    stop,
  );
}

/**
 * Waits until the operation's request passed its checks (the snapshot, the node, the target on the
 * node) and returns its view; a refusal becomes a UserError with the workflow's one-line reason.
 */
export async function waitAccepted(
  client: Client,
  jobId: string,
  timeoutMs = 120_000,
  everyMs = 250,
): Promise<OperationView> {
  const handle = client.workflow.getHandle(jobId);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let view: OperationView | null = null;
    try {
      view = await handle.query(operationViewQuery);
    } catch {
      // No workflow task has run yet, or the workflow closed before its first one: its result says.
      if ((await handle.describe()).status.name !== 'RUNNING') {
        const end = await followOperation(client, jobId);
        throw new UserError(end.error ?? `${jobId} ended ${end.state} before it started`);
      }
    }
    if (view?.accepted) return view;
    // Refused while checking; a failure after acceptance is the caller's to follow.
    if (view && view.state !== 'pending') throw new UserError(view.error ?? `${jobId} ${view.state}`);
    if (Date.now() > deadline) {
      throw new UserError(
        `${jobId} was not accepted within ${Math.round(timeoutMs / 1000)} s; are the node processes running? ` +
          `See \`temporal workflow describe -w ${jobId}\``,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
