/** What the CLI and the demo do with the coordinator: start it, configure it, ask it for backups. */
import {
  Connection,
  WithStartWorkflowOperation,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { BatonConfig } from '../config/load';
import type { CoordinatorSnapshot } from '../model/coordinator';
import { configureUpdate, coordinatorStatusQuery, jobViewQuery } from '../workflows/messages';
import type { BackupJobResult, JobView, StartedBackup } from '../model/backup';
import { SEARCH_ATTRIBUTES, coordinatorQueue, coordinatorWorkflowId } from '../model/names';
import { WORKFLOW_TASK_TIMEOUT } from '../model/task-timeouts';
import { followWorkflow } from './follow';
import type { coordinator } from '../workflows/coordinator';
import { backupProgress, withBackupProgress } from './live-progress';
import { UserError } from '../model/errors';
import { retryWhileDraining } from './draining';
import { sendStartBackup } from './coordinator-update';
import { failedPrecondition, failedTask, queryUnanswered, type FailedTask } from './failed-task';

function causeMessage(err: unknown): string {
  let e = err as Error | undefined;
  while (e && (e as { cause?: Error }).cause) e = (e as { cause?: Error }).cause;
  return e?.message ?? String(err);
}

/**
 * A coordinator whose workflow task fails on every try: the server refuses updates and queries to
 * it (FAILED_PRECONDITION). `task` is what the server says of that task (its cause, message, the
 * build that last ran the coordinator and the build that fails it: failed-task.ts); `reason` its
 * cause and message in one line; `orphans` the running jobs it tracks, which terminating it would
 * leave without a coordinator; `advice` the way out, the end of the message.
 */
export class StuckCoordinatorError extends UserError {
  constructor(
    message: string,
    readonly workflowId: string,
    readonly reason: string,
    readonly task: FailedTask | null,
    readonly orphans: string[],
    readonly advice: string,
  ) {
    super(message);
  }
}

/**
 * The StuckCoordinatorError an update's or query's failure means, or null for any other error:
 * the server refused it (FAILED_PRECONDITION) and describe() shows the coordinator's workflow task
 * failing (failedTask), not the words of the refusal.
 */
export async function stuckCoordinatorError(
  err: unknown,
  handle: WorkflowHandle,
  cluster: string,
): Promise<StuckCoordinatorError | null> {
  if (!failedPrecondition(err)) return null;
  const task = await failedTask(handle);
  if (!task) return null;
  return stuckOnTask(handle, cluster, task, await runningJobs(handle, cluster));
}

/**
 * The workflow IDs of the running jobs the coordinator behind `handle` tracks: its running children
 * (retention jobs, and backup jobs from before COORDINATOR_LETS_REQUESTERS_START_JOBS) and the
 * cluster's running backup jobs, which their requesters start.
 */
async function runningJobs(handle: WorkflowHandle, cluster: string): Promise<string[]> {
  const ids: string[] = [];
  const query =
    `(ParentWorkflowId = '${handle.workflowId}' OR ` +
    `(WorkflowType = 'backupJob' AND ${SEARCH_ATTRIBUTES.cluster.name} = '${cluster}')) AND ExecutionStatus = 'Running'`;
  for await (const w of handle.client.list({ query })) ids.push(w.workflowId);
  return ids.sort();
}

/**
 * A coordinator started before queues named their cluster runs on `baton-coordinator`, which no
 * node polls any more: its tasks wait forever. Null when it runs on the cluster's queue.
 */
async function coordinatorOnOldQueue(handle: WorkflowHandle, cluster: string): Promise<StuckCoordinatorError | null> {
  const { taskQueue, status } = await handle.describe();
  if (status.name !== 'RUNNING' || taskQueue === coordinatorQueue(cluster)) return null;
  const reason = `it runs on task queue ${taskQueue}, which no node polls: they poll ${coordinatorQueue(cluster)}`;
  const orphans = await runningJobs(handle, cluster);
  const advice =
    'a coordinator started by an older, incompatible version of Baton does this. ' + terminateAdvice(handle, orphans);
  return new StuckCoordinatorError(
    `${stuckPrefix(handle, cluster)}${reason}; ${advice}`,
    handle.workflowId,
    reason,
    null,
    orphans,
    advice,
  );
}

function stuckPrefix(handle: WorkflowHandle, cluster: string): string {
  return `the coordinator of cluster ${cluster} (workflow ${handle.workflowId}) is stuck: `;
}

/** The temporal CLI's flags that reach the server and namespace `handle`'s client does. */
function serverFlags(handle: WorkflowHandle): string {
  const connection = handle.client.connection;
  const address = connection instanceof Connection ? ` --address ${connection.options.address}` : '';
  const namespace = handle.client.options.namespace;
  return `${address}${namespace && namespace !== 'default' ? ` --namespace ${namespace}` : ''}`;
}

function terminateAdvice(handle: WorkflowHandle, orphans: string[]): string {
  const id = handle.workflowId;
  const orphaned = orphans.length
    ? `terminating it leaves its ${orphans.length} running job(s) (${orphans.join(', ')}) with no coordinator tracking them; `
    : 'it has no running jobs; ';
  return (
    `${orphaned}terminate it with ` +
    `\`temporal workflow terminate --workflow-id ${id}${serverFlags(handle)} --reason "incompatible coordinator"\`` +
    ' (or from its page in the Web UI), and `baton apply` (`npm run demo` for the demo, which replaces a stuck ' +
    'coordinator by itself when it has no running jobs, or with --force) starts a new one'
  );
}

/** The one-line StuckCoordinatorError for a coordinator whose workflow task fails: what failed, and the way out. */
function stuckOnTask(
  handle: WorkflowHandle,
  cluster: string,
  task: FailedTask,
  orphans: string[],
): StuckCoordinatorError {
  const reason = `${task.cause}${task.message ? `: ${task.message}` : ''}`;
  const of = task.failingBuild ? ` of build ${task.failingBuild.buildId}` : '';
  const where = task.worker ? `, on ${task.worker}${of}` : of ? `, on a worker${of}` : '';
  const symptom = `its workflow task fails on every try (${reason}; try ${task.attempt}${where})`;
  const advice = wayOut(handle, task, orphans);
  return new StuckCoordinatorError(
    `${stuckPrefix(handle, cluster)}${symptom}; ${advice}`,
    handle.workflowId,
    reason,
    task,
    orphans,
    advice,
  );
}

/** What to do about a coordinator whose workflow task fails as `task` did (exported for its unit test). */
export function wayOut(handle: WorkflowHandle, task: FailedTask, orphans: string[]): string {
  if (task.cause === 'TIMED_OUT') {
    // an overloaded machine looks so too (bench/scale's 10,000-job day): not a version to blame
    return (
      'nodes took its workflow task and did not answer within the task timeout: they are overloaded or frozen, or ' +
      "its history takes longer than that to replay. Look at the nodes' load and logs and try again; if it stays so, " +
      terminateAdvice(handle, orphans)
    );
  }
  if (task.cause !== 'NON_DETERMINISTIC_ERROR') {
    return (
      'a coordinator started by an older, incompatible version of Baton, or with input this version cannot read, does this. ' +
      terminateAdvice(handle, orphans)
    );
  }
  const jobs = orphans.length ? `its ${orphans.length} running job(s) (${orphans.join(', ')})` : 'its jobs';
  const b = task.lastBuild;
  const f = task.failingBuild;
  const why =
    b && f && f.buildId !== b.buildId
      ? `build ${f.buildId} cannot replay the history build ${b.buildId} made: the coordinator changed between ` +
        'them without a patch (docs/upgrades.md)'
      : "the nodes' workflow code cannot replay its history: it was started by an older, incompatible version of " +
        'Baton, or the coordinator changed without a patch (docs/upgrades.md)';
  // A pin (temporal workflow update-options --versioning-override-behavior pinned) does not do it:
  // the server keeps handing the task to the current build (upgrade-unpatched.test.ts).
  const back = b
    ? `it last ran on build ${b.buildId} of deployment ${b.deploymentName}: keep (or start again) node processes of ` +
      `that build and roll back to it with \`baton upgrade --build-id ${b.buildId}\`, which moves the coordinator ` +
      'back there; then patch the change and upgrade to the patched build'
    : 'run the nodes on the version of Baton that started it';
  return `${why}. Do not terminate it, which would orphan ${jobs}; ${back}`;
}

export interface EnsureOptions {
  /** seconds between the coordinator's observations of host and cluster (default 1) */
  tickSeconds?: number;
  /** events after which a run of the coordinator continues as new (default COORDINATOR_RUN_EVENTS) */
  runEvents?: number;
  /** seconds between the coordinator's checks of running jobs against Temporal (default 30) */
  reconcileSeconds?: number;
  /** seconds a requester has to start a job the coordinator planned for it (default 60) */
  startWindowSeconds?: number;
  /**
   * Called when the running coordinator is stuck (StuckCoordinatorError) and has no running jobs
   * (see `force`); the coordinator is then terminated and a new one started. Without it, the
   * error is thrown. The demo replaces it: its
   * Temporal server runs only while the demo does, so the user could not terminate it by hand.
   */
  replaceStuck?: (err: StuckCoordinatorError) => void;
  /**
   * With replaceStuck: replace a stuck coordinator that has running jobs too, orphaning them (the
   * demo's --force). Without it such a coordinator is reported (StuckCoordinatorError, listing them).
   */
  force?: boolean;
}

/** How the cluster's coordinator workflow is started: its ID, queue, input and search attributes. */
export function coordinatorStartOptions(
  config: BatonConfig,
  timing: Pick<EnsureOptions, 'tickSeconds' | 'reconcileSeconds' | 'startWindowSeconds' | 'runEvents'> = {},
): WorkflowStartOptions<typeof coordinator> {
  return {
    workflowId: coordinatorWorkflowId(config.cluster),
    taskQueue: coordinatorQueue(config.cluster),
    // Its continue-as-new runs keep it; a coordinator started before keeps the server's 10 s.
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
    args: [
      {
        plan: config.plan,
        tickSeconds: timing.tickSeconds,
        reconcileSeconds: timing.reconcileSeconds,
        startWindowSeconds: timing.startWindowSeconds,
        runEvents: timing.runEvents,
      },
    ],
    staticSummary: `Primary coordinator of cluster ${config.cluster}`,
    staticDetails: `Directs the backup services of ${config.plan.nodes.length} nodes for ${config.plan.apps.length} apps.`,
    typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.cluster, value: config.cluster }],
  };
}

/** The running coordinator, if it runs on a queue no node polls any more (see coordinatorOnOldQueue). */
async function runningOnOldQueue(client: Client, cluster: string): Promise<StuckCoordinatorError | null> {
  try {
    return await coordinatorOnOldQueue(client.workflow.getHandle(coordinatorWorkflowId(cluster)), cluster);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/**
 * Hands the config's plan to the cluster's coordinator by update-with-start: one request that
 * starts the coordinator when it is not running, then sends it `configure`. A refusal (the plan
 * takes away what a running job uses, ...) is a UserError with the coordinator's reason.
 */
export async function ensureCoordinator(
  client: Client,
  config: BatonConfig,
  opts: EnsureOptions = {},
): Promise<string> {
  // an operation is used once: a retry (the coordinator was draining) needs a new one
  const startWorkflowOperation = () =>
    new WithStartWorkflowOperation<typeof coordinator>('coordinator', {
      ...coordinatorStartOptions(config, opts),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
  const workflowId = coordinatorWorkflowId(config.cluster);
  try {
    const onOldQueue = await runningOnOldQueue(client, config.cluster);
    if (onOldQueue) throw onOldQueue;
    await retryWhileDraining(() =>
      client.workflow.executeUpdateWithStart(configureUpdate, {
        args: [config.plan],
        startWorkflowOperation: startWorkflowOperation(),
      }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new UserError(`coordinator refused the plan: ${causeMessage(err)}`);
    const handle = client.workflow.getHandle(workflowId);
    const stuck = err instanceof StuckCoordinatorError ? err : await stuckCoordinatorError(err, handle, config.cluster);
    if (!stuck) throw err;
    if (!opts.replaceStuck || (stuck.orphans.length > 0 && !opts.force)) throw stuck;
    opts.replaceStuck(stuck);
    await handle.terminate(`replaced: stuck (${stuck.reason || 'its workflow task fails on every try'})`);
    // once: a new coordinator that is stuck at once is not an old history, and is reported
    return ensureCoordinator(client, config, {
      tickSeconds: opts.tickSeconds,
      reconcileSeconds: opts.reconcileSeconds,
      startWindowSeconds: opts.startWindowSeconds,
      runEvents: opts.runEvents,
    });
  }
  return workflowId;
}

export async function requestBackup(
  client: Client,
  cluster: string,
  app: string,
  requestedBy: string,
  full = false,
  onRetry?: (err: unknown) => void,
): Promise<StartedBackup> {
  const handle = client.workflow.getHandle(coordinatorWorkflowId(cluster));
  try {
    return await sendStartBackup(client, handle.workflowId, { app, requestedBy, full }, { onRetry });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new UserError(causeMessage(err));
    if (err instanceof WorkflowNotFoundError) {
      throw new UserError(
        `the coordinator of cluster ${cluster} is not running; start it with \`baton apply\` (or the demo cluster with \`npm run demo\`) first`,
      );
    }
    // An update validator's rejection arrives as a plain error carrying the validator's message.
    if ((err as Error).name === 'WorkflowUpdateRPCTimeoutOrCancelledError') throw err;
    throw (await stuckCoordinatorError(err, handle, cluster)) ?? new UserError(causeMessage(err));
  }
}

/** How long a status query is retried while the coordinator's workflow task is being retried. */
export const STATUS_RETRY_MS = 5000;

/**
 * The deadline its caller set around this call with `client.connection.withDeadline` (ms since the
 * epoch), read where the SDK keeps it for its own requests; null when none was set, or for a
 * connection that keeps no call context.
 */
function callerDeadline(client: Client): number | null {
  const storage = (client.connection as Partial<Pick<Connection, 'callContextStorage'>> | undefined)
    ?.callContextStorage;
  const deadline = storage?.getStore()?.deadline;
  if (deadline === undefined) return null;
  return typeof deadline === 'number' ? deadline : deadline.getTime();
}

/**
 * The coordinator's state, by query. A query is refused while the coordinator's last workflow task
 * failed or timed out (a node died or froze holding it: the next try, on another node, comes within
 * the 2 s workflow task timeout), so such a refusal is retried for `retryMs` before it is reported.
 * A deadline its caller set (`client.connection.withDeadline`) ends the retries too: past it, the
 * last refusal is thrown as it came (DEADLINE_EXCEEDED, mostly), the caller's own deadline error.
 */
export async function coordinatorStatus(
  client: Client,
  cluster: string,
  retryMs = STATUS_RETRY_MS,
): Promise<CoordinatorSnapshot> {
  const handle = client.workflow.getHandle(coordinatorWorkflowId(cluster));
  const deadline = Date.now() + retryMs;
  const callers = callerDeadline(client);
  for (;;) {
    try {
      return await handle.query(coordinatorStatusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw new UserError(
          `the coordinator of cluster ${cluster} is not running; start it with \`baton apply\` (or the demo cluster with \`npm run demo\`)`,
        );
      }
      if (!queryUnanswered(err)) throw err;
      if (callers !== null && Date.now() >= callers) throw err;
      if (Date.now() >= deadline) throw await unanswered(handle, cluster, retryMs);
    }
    const pause = callers === null ? 250 : Math.max(0, Math.min(250, callers - Date.now()));
    await new Promise((r) => setTimeout(r, pause));
  }
}

/**
 * Why the coordinator did not answer for `retryMs`: stuck on a workflow task that fails (what
 * failed, the build that fails it and the way out: StuckCoordinatorError), or a task that keeps
 * timing out or that the server no longer shows as failing (a generic line).
 */
async function unanswered(handle: WorkflowHandle, cluster: string, retryMs: number): Promise<UserError> {
  const task = await failedTask(handle);
  if (task && task.cause !== 'TIMED_OUT') return stuckOnTask(handle, cluster, task, await runningJobs(handle, cluster));
  return unansweredStatus(handle, cluster, retryMs);
}

function unansweredStatus(handle: WorkflowHandle, cluster: string, retryMs: number): UserError {
  return new UserError(
    `the coordinator of cluster ${cluster} (workflow ${handle.workflowId}) did not answer for ${retryMs / 1000} s: ` +
      "its workflow task keeps failing or timing out; see why in the nodes' logs or on its page in the Web UI " +
      '(a WorkflowTaskFailed event), then try again',
  );
}

/**
 * Waits for a job to end, calling `onView` with its live view (progress included) about every `everyMs`;
 * `stop` ends the waiting (FollowInterrupted), not the job.
 */
export async function followJob(
  client: Client,
  jobId: string,
  onView: (view: JobView) => void,
  everyMs = 1000,
  stop?: AbortSignal,
): Promise<BackupJobResult> {
  return followWorkflow<JobView, BackupJobResult>(
    client,
    jobId,
    jobViewQuery,
    onView,
    everyMs,
    (err) => {
      throw new UserError(causeMessage(err));
    },
    async (view) => withBackupProgress(view, await backupProgress(client, jobId).catch(() => null)),
    stop,
  );
}
