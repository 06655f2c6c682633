/**
 * A workflow whose workflow task keeps failing, read from the server's structured state, not
 * from the words of an error: describe()'s pendingWorkflowTask (its attempt counts the tries),
 * the newest WorkflowTaskFailed or WorkflowTaskTimedOut event (the cause, the failure's message,
 * the worker that failed it), the build that last completed one of its workflow tasks (the
 * WorkflowTaskCompleted event's deployment version, or describe()'s versioningInfo), and the build
 * it is moving to, whose workers fail it (describe()'s versioningInfo.versionTransition).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type Describe = temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** gRPC's FAILED_PRECONDITION: the server's refusal of an update or query while a workflow task fails. */
export const FAILED_PRECONDITION = 9;
/** gRPC's DEADLINE_EXCEEDED: a query no worker took before its deadline */
export const DEADLINE_EXCEEDED = 4;

/** The WorkflowTaskFailedCause values Baton names (temporal/api/enums/v1/failed_cause.proto). */
const CAUSES: Record<number, string> = {
  14: 'WORKFLOW_WORKER_UNHANDLED_FAILURE',
  24: 'NON_DETERMINISTIC_ERROR',
  31: 'UNHANDLED_UPDATE',
};

export interface FailedTask {
  /** tries of the pending workflow task so far (2 or more: it failed or timed out) */
  attempt: number;
  /**
   * The newest failure's cause: NON_DETERMINISTIC_ERROR (the code cannot replay the history),
   * WORKFLOW_WORKER_UNHANDLED_FAILURE (the code threw), another WorkflowTaskFailedCause, or
   * TIMED_OUT (a worker took the task and did not answer: it died or froze).
   */
  cause: string;
  /** the first line of the failure's message ('' for a timeout) */
  message: string;
  /** the identity of the worker that failed it ('' for a timeout) */
  worker: string;
  /** the deployment and build ID that last completed a workflow task of this run, when workers are versioned */
  lastBuild: Build | null;
  /**
   * The build the workflow is moving to and whose workers fail its task: an AUTO_UPGRADE workflow
   * (the coordinator) after `baton upgrade` made that build current; null when it is not moving.
   */
  failingBuild: Build | null;
}

/** A version of a Worker Versioning deployment. */
export interface Build {
  deploymentName: string;
  buildId: string;
}

function build(v: { deploymentName?: string | null; buildId?: string | null } | null | undefined): Build | null {
  return v?.buildId && v.deploymentName ? { deploymentName: v.deploymentName, buildId: v.buildId } : null;
}

function causeName(cause: unknown): string {
  if (typeof cause === 'string') return cause.replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '');
  return CAUSES[Number(cause)] ?? `WorkflowTaskFailedCause ${String(cause)}`;
}

/** The build that last completed a workflow task: the newest WorkflowTaskCompleted event's, else describe's. */
function lastBuildOf(describe: Describe, newestFirst: HistoryEvent[]): FailedTask['lastBuild'] {
  for (const e of newestFirst) {
    const done = e.workflowTaskCompletedEventAttributes;
    if (!done) continue;
    const b = build(done.deploymentVersion);
    if (b) return b;
    break;
  }
  return build(describe.workflowExecutionInfo?.versioningInfo?.deploymentVersion);
}

/**
 * The failing workflow task of a workflow, or null when its tasks run (no pending task, or one on
 * its first try). `newestFirst` are its newest events, newest first (newestEvents()).
 */
export function failedTaskOf(describe: Describe, newestFirst: HistoryEvent[]): FailedTask | null {
  const attempt = describe.pendingWorkflowTask?.attempt ?? 0;
  if (attempt < 2) return null;
  const builds = {
    lastBuild: lastBuildOf(describe, newestFirst),
    failingBuild: build(describe.workflowExecutionInfo?.versioningInfo?.versionTransition?.deploymentVersion),
  };
  for (const e of newestFirst) {
    const failed = e.workflowTaskFailedEventAttributes;
    if (failed) {
      const message = (failed.failure?.message ?? '').split('\n')[0];
      return { attempt, cause: causeName(failed.cause), message, worker: failed.identity ?? '', ...builds };
    }
    if (e.workflowTaskTimedOutEventAttributes)
      return { attempt, cause: 'TIMED_OUT', message: '', worker: '', ...builds };
  }
  return { attempt, cause: 'UNKNOWN', message: '', worker: '', ...builds };
}

/** A workflow's newest `count` events, newest first (the reverse history's first page). */
export async function newestEvents(handle: WorkflowHandle, count = 50): Promise<HistoryEvent[]> {
  const { workflowService, options } = handle.client;
  const { history } = await workflowService.getWorkflowExecutionHistoryReverse({
    namespace: options.namespace,
    execution: { workflowId: handle.workflowId },
    maximumPageSize: count,
  });
  return history?.events ?? [];
}

/** The failing workflow task of the workflow behind `handle` (see failedTaskOf). */
export async function failedTask(handle: WorkflowHandle): Promise<FailedTask | null> {
  const { raw } = await handle.describe();
  return failedTaskOf(raw, await newestEvents(handle));
}

/** Whether an error carries one of the gRPC `codes`, on itself or a cause. */
function carriesCode(err: unknown, codes: readonly number[]): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    if (typeof e.code === 'number' && codes.includes(e.code)) return true;
  return false;
}

/** Whether an error carries gRPC's FAILED_PRECONDITION, on itself or a cause. */
export function failedPrecondition(err: unknown): boolean {
  return carriesCode(err, [FAILED_PRECONDITION]);
}

/**
 * Whether a query went unanswered because no worker could run the workflow's task: refused while
 * the task is failing (FAILED_PRECONDITION), or timed out before a worker took it
 * (DEADLINE_EXCEEDED: "query timed out before a worker could process it", seen while a coordinator
 * failed replay on every try under load).
 */
export function queryUnanswered(err: unknown): boolean {
  return carriesCode(err, [FAILED_PRECONDITION, DEADLINE_EXCEEDED]);
}
