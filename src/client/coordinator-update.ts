/**
 * Updates sent to the coordinator and answered exactly once: a startBackup (what `baton backup`,
 * the demo and the schedules send; the requester then starts the job the coordinator planned) and
 * a job's end (jobEnded, sent by its reportJobEnd activity).
 *
 * Not the SDK's `executeUpdate` on the workflow's handle. That one addresses whichever run is
 * current at each call, and the coordinator continues as new every few hundred events:
 *   - when the server answers at acceptance (a loaded server does), the SDK polls for the outcome
 *     on the current run; a run that continued as new meanwhile had completed the update (it
 *     drains its accepted updates first) and the new run knows no such update: "workflow not
 *     found", a refusal reported while the job runs;
 *   - a request the server aborted as the run closed ("workflow update was aborted", UNAVAILABLE)
 *     is sent again by the SDK's gRPC retry, and lands on the next run, which takes it for a new
 *     request: "already has a backup running", the job being its own.
 * bench/scale met both, 12 times in 1,000 requests at 3.7 a second (docs/scale.md).
 *
 * Here every try is addressed to one run, the current one when it starts, under one update ID for
 * the whole request. The server answers a repeat of an ID a run already took with that update,
 * even after the run closed; a run that closed before it took the request says "already completed",
 * one closing as it came says "workflow is closing" (grpc-retry.ts), and the request goes to the
 * next run. So the request is taken once, by one run, and its answer comes from that run. A caller
 * that is itself retried under the same ID (a scheduled run's activity) may reach a later run than
 * the one that took it: that run answers from the answers it carries (answered-requests.ts).
 *
 * A request holds one of the process's slots (update-admission.ts) from its first try to its
 * answer: past its limit in flight on the coordinator the server refuses the next update and
 * aborts others. A refusal for that limit narrows the process's window (here when it reaches the
 * caller; grpc-retry.ts sees each one a Connection's retry makes).
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { WorkflowNotFoundError, WorkflowUpdateStage, type Client } from '@temporalio/client';
import type { StartBackupRequest, StartedBackup } from '../model/backup';
import { COORDINATOR_DRAINING, startBackupUpdate } from '../workflows/messages';
import { RunClosedBeforeTaking, isUpdatesInFlightRefusal, retryWhileDraining } from './draining';
import { isWorkflowClosing } from './grpc-retry';
import { startPlannedJob } from './planned-job-start';
import { coordinatorUpdates } from './update-admission';

export interface SendOptions {
  /** The update's ID, for a caller that may itself be retried; a new random one by default. */
  updateId?: string;
  /** Hears each refusal that is retried. */
  onRetry?: (err: unknown) => void;
  /** Ends the wait for one of the process's slots (an activity's cancellation signal). */
  signal?: AbortSignal;
}

/**
 * Sends `request` to the coordinator workflow `workflowId` and starts the job it planned
 * (planned-job-start.ts; a coordinator run from older code starts it itself and sends no plan).
 * Throws WorkflowNotFoundError when no run of it is running, WorkflowUpdateFailedError when it
 * refused the request.
 */
export async function sendStartBackup(
  client: Client,
  workflowId: string,
  request: StartBackupRequest,
  opts: SendOptions = {},
): Promise<StartedBackup> {
  const answer = await sendCoordinatorUpdate(
    client,
    workflowId,
    startBackupUpdate,
    { ...request, startsJob: true },
    opts,
  );
  if (answer.job) await startPlannedJob(client, answer.job);
  return { jobId: answer.jobId, node: answer.node, drive: answer.drive };
}

/** Sends one update with one argument to the coordinator workflow `workflowId`, as sendStartBackup does. */
export async function sendCoordinatorUpdate<Ret, Arg>(
  client: Client,
  workflowId: string,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  opts: SendOptions = {},
): Promise<Ret> {
  const updateId = opts.updateId ?? randomUUID();
  const tryOnce = async (): Promise<Ret> => {
    const current = await client.workflow.getHandle(workflowId).describe();
    if (current.status.name !== 'RUNNING') {
      throw new WorkflowNotFoundError(`workflow ${workflowId} is ${current.status.name}`, workflowId, current.runId);
    }
    const run = client.workflow.getHandle(workflowId, current.runId);
    try {
      const handle = await run.startUpdate(update, {
        args: [arg],
        updateId,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      // a refusal came with the first answer and is thrown here; an acceptance is polled on this run
      return await handle.result();
    } catch (err) {
      // The run closed before it took the request, or is closing and aborted it unaccepted (its
      // answer to this update ID from now on: grpc-retry.ts): the next run takes it.
      if (err instanceof WorkflowNotFoundError || isWorkflowClosing(err)) {
        const what = err instanceof WorkflowNotFoundError ? 'closed' : 'was closing';
        throw new RunClosedBeforeTaking(`run ${current.runId} of ${workflowId} ${what} before it took the request`, {
          cause: ApplicationFailure.retryable('the coordinator continued as new', COORDINATOR_DRAINING),
        });
      }
      // the server holds its limit in flight, past the connection's own retries: fewer at once
      if (isUpdatesInFlightRefusal(err)) coordinatorUpdates.congested();
      throw err;
    }
  };
  // the retries' windows start once the request has its slot, not while it waits for one
  return coordinatorUpdates.run(() => retryWhileDraining(tryOnce, undefined, opts.onRetry), opts.signal);
}
