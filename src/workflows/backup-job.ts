/**
 * One backup of one app, as a sequence of attempts. Each attempt takes a fencing epoch and a
 * drive lease from the catalog and runs the backup service's activity on the queue of the node
 * that hosts the app. When the app moves (the coordinator signals) or the attempt's node dies
 * (heartbeat or schedule-to-start timeout), the job finds the app's new host, decides between a
 * checkpoint restart and a fresh restart (restart-policy.ts), records why, and carries on there.
 * Wiring only; JobTracker holds the state, JobAttempts decides the retries.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BackupActivities } from '../activities/backup-activities';
import type { HostActivities } from '../activities/host-activities';
import type { JobEndActivities } from '../activities/job-end-activities';
import { JobTracker } from './job-tracker';
import {
  appMovedSignal,
  driveFreedSignal,
  jobFinishedSignal,
  jobProgressSignal,
  jobRoutedSignal,
  jobViewQuery,
} from './messages';
import { SEARCH_ATTRIBUTES, waitQueue } from '../model/names';
import type { BackupJobInput, BackupJobResult, CheckpointCheck, CheckpointRef, JobState } from '../model/backup';
import { jobCatalog as catalog } from './job-catalog';
import { describeFailure } from './describe-failure';
import { JobAttempts, type Attempt, type AttemptEnd, type AttemptStart } from './job-attempts';
import { nodeActivities } from './node-activities';
import type { DriveSpec } from '../model/plan';

/**
 * A job that is cancelled, or fails on an error of its own (the cluster service unreachable while
 * placing its app), still records its end in the catalog (which releases its drive lease) and
 * tells the coordinator. Before, such a job ended with its catalog row `running`, its lease held
 * and the coordinator refusing its app for good.
 */
export const JOB_ENDS_ON_ANY_EXIT = 'job-ends-on-any-exit';

/**
 * A job waiting for its app to be placed (after its node died) asks the cluster again as soon as
 * the coordinator signals a move, not only every 2 s: the wait was a plain 2 s sleep, so the job
 * heard of the HA stack's placement up to 2 s late (node-failure drill, docs/drills.md). Histories
 * recorded before slept.
 */
export const JOB_WAKES_ON_MOVE = 'job-placement-wait-wakes-on-move';

/**
 * A committed attempt wins (docs/restart-policy.md): an attempt that ends `moved` is fenced off and
 * the catalog asked whether it committed (catalog.settleMovedAttempt), and an outcome that arrived
 * in the same activation as the move is used; either way the job ends with that attempt's
 * snapshot rather than backing the app up again on its new node. Histories recorded before
 * dropped a committed outcome when the move won the race.
 */
export const JOB_COMMITTED_ATTEMPT_WINS = 'job-committed-attempt-wins';

/**
 * A job tells the coordinator of its end by the jobEnded update, sent by its reportJobEnd activity
 * (job-end-activities.ts), not by the jobFinished signal: a signal that arrived while the
 * coordinator's run tried to continue as new failed that try, and bench/scale's hand-overs went
 * through up to 15 such failures, each a replay of the run. Histories recorded before signalled.
 */
export const JOB_REPORTS_END_BY_UPDATE = 'job-reports-end-by-update';

/**
 * A job its requester starts (BackupJobInput.startBy, COORDINATOR_LETS_REQUESTERS_START_JOBS) and
 * whose workflow started after its window ends at once, failed, recording nothing: by then the
 * coordinator may have given it up and freed its app for another job. Both times are the server's
 * (the coordinator's plan, this workflow's start). Histories recorded before had no window.
 */
export const JOB_STARTS_WITHIN_ITS_WINDOW = 'job-starts-within-its-window';

/**
 * A job whose drive another job holds waits in the drive's line (catalog drive-line.ts) and asks
 * again when the job that releases it says so (driveFreedSignal), or every DRIVE_WAIT_POLL. Before,
 * it retried its catalog activity with a backoff of up to 5 s: the drive idled up to 5 s and went
 * to whichever retry came first (bench/scale: a job waited up to 265 s). Histories recorded before
 * retried.
 */
export const JOB_WAITS_IN_LINE = 'job-waits-in-line-for-its-drive';

/**
 * A job that asks for a drive lets go of the drive it leased before (its app moved), and wakes the
 * job first in that drive's line at once, as a job's end does. Before, the first in line asked again
 * at its next DRIVE_WAIT_POLL; and before the catalog let go at all, two jobs whose apps swapped
 * nodes each held the drive the other waited for until a lease lapsed. Histories recorded before
 * had nothing to wake.
 */
export const JOB_WAKES_THE_LINE_IT_LEAVES = 'job-wakes-the-line-of-a-drive-it-leaves';

/**
 * How often a job in line asks for its drive without being told: a wake-up that never came (the
 * holder was closed by the coordinator's reconcile, or moved to another drive). A third of the
 * catalog's WAITER_GONE_MS, after which a waiter that stopped asking is passed over.
 */
const DRIVE_WAIT_POLL = '10s';

const cluster = proxyActivities<HostActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '5s', maximumAttempts: 10 },
});

/**
 * Up to four windows of 30 s while the coordinator hands over (coordinator-update.ts), then a
 * signal. It heartbeats while it waits: a node that dies meanwhile is found in 15 s, not at the
 * 3 min start-to-close timeout. On the waits queue, as it waits on the coordinator: on the
 * coordinator queue such waits can hold the slots the coordinator needs to answer them
 * (names.ts waitQueue). (Changed options need no patch: a replay matches a scheduled activity by
 * its ID and type only.)
 */
function reporterOf(cluster: string) {
  return proxyActivities<JobEndActivities>({
    taskQueue: waitQueue(cluster),
    startToCloseTimeout: '3m',
    heartbeatTimeout: '15s',
    retry: { maximumInterval: '10s', maximumAttempts: 5 },
  });
}

/** The patches this job follows, asked at the top of its first task (a marker's place never depends on timing). */
interface JobPatches {
  wakesOnMove: boolean;
  committedWins: boolean;
  endsByUpdate: boolean;
  startWindow: boolean;
  waitsInLine: boolean;
  wakesLineItLeaves: boolean;
}

/**
 * Sets the query and signal handlers (call before the first await); returns `mark` (search
 * attributes and details) and `show` (details only: no event).
 */
function jobShell(job: JobTracker): { mark: (state: JobState, node: string) => void; show: () => void } {
  let shown = '';
  const show = () => {
    const details = job.details();
    if (details !== shown) setCurrentDetails((shown = details));
  };
  setHandler(jobViewQuery, () => job.get());
  setHandler(jobProgressSignal, (progress) => {
    job.progress(progress);
    show();
  });
  setHandler(appMovedSignal, ({ to }) => job.appMoved(to));
  setHandler(driveFreedSignal, () => job.driveFreed());
  const mark = (state: JobState, node: string) => {
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.state, value: state },
      { key: SEARCH_ATTRIBUTES.node, value: node },
    ]);
    show();
  };
  return { mark, show };
}

/**
 * Runs one attempt on its node until it ends or the app moves away from that node; with
 * `committedWins` (JOB_COMMITTED_ATTEMPT_WINS) an attempt that committed ends succeeded even when
 * the move came first.
 */
async function runAttempt(
  input: BackupJobInput,
  job: JobTracker,
  attempt: Attempt,
  epoch: number,
  committedWins: boolean,
): Promise<AttemptEnd> {
  const { number, node, drive, resumeFrom } = attempt;
  const service = nodeActivities<BackupActivities>({ cluster: input.cluster, node }, input.settings, {
    kind: 'work',
    // The job itself decides where and how the next attempt runs.
    retry: { maximumAttempts: 1 },
    summary: `attempt ${number}: back up ${input.app.name} on ${node} to ${drive.name}${resumeFrom ? ' from checkpoint' : ''}`,
  });
  const scope = new CancellationScope();
  const running = scope.run(() =>
    service.backupAttempt({ job: input, attempt: { number, epoch, node, drive }, resumeFrom }),
  );
  const end = await Promise.race([
    running.then(
      (outcome): AttemptEnd => ({ kind: 'succeeded', outcome }),
      (err: unknown): AttemptEnd => {
        // The job was cancelled: not the attempt's failure, the job's end (backupJob records it).
        if (isCancellation(err)) throw err;
        const { outcome, ofAttempt, final } = describeFailure(err, node);
        return { kind: 'failed', outcome, error: ofAttempt, final };
      },
    ),
    condition(() => job.pendingMove !== null).then((): AttemptEnd => ({
      kind: 'moved',
      to: job.pendingMove ?? node,
    })),
  ]);
  if (end.kind !== 'moved') return end;
  scope.cancel();
  // an outcome that arrived in the activation the move won is here (TRY_CANCEL: a later one never is)
  const ran = await running.then(
    (outcome) => outcome,
    () => null,
  );
  if (!committedWins) return end;
  if (ran) return JobAttempts.settleMoved(end, ran, null);
  // fence, then check: the attempt can no longer commit once this returns, so no commit goes unseen
  const committed = await catalog.settleMovedAttempt({ cluster: input.cluster, jobId: input.jobId, number, epoch });
  return JobAttempts.settleMoved(end, null, committed);
}

/**
 * Asks the cluster service where the app runs, waiting (bounded) for it to be placed: again every
 * 2 s, and at once when the coordinator signals a move (`wakesOnMove`: JOB_WAKES_ON_MOVE).
 */
async function waitForPlacement(
  input: BackupJobInput,
  job: JobTracker,
  attempts: JobAttempts,
  wakesOnMove: boolean,
): Promise<string | null> {
  const deadline = attempts.placementDeadline(Date.now());
  for (;;) {
    const heard = job.movesHeard;
    const host = await cluster.appHost(input.app.name);
    if (host !== null) return host;
    if (Date.now() >= deadline) return null;
    if (wakesOnMove) await condition(() => job.movesHeard !== heard, '2s');
    else await sleep('2s');
  }
}

/**
 * After an attempt that did not succeed: sets up the next one (where the app runs now, from the
 * checkpoint or fresh) and returns true, or fails the job and returns false.
 */
async function prepareRetry(
  input: BackupJobInput,
  job: JobTracker,
  attempts: JobAttempts,
  end: Exclude<AttemptEnd, { kind: 'succeeded' }>,
  wakesOnMove: boolean,
): Promise<boolean> {
  const step = attempts.after(end);
  if (step.kind === 'give-up') {
    job.failed(step.error);
    return false;
  }
  const place = attempts.place(step.cause, step.to ?? (await waitForPlacement(input, job, attempts, wakesOnMove)));
  if (place.kind === 'give-up') {
    job.failed(place.error);
    return false;
  }
  const checkpoint = await catalog.latestCheckpoint(input.jobId);
  const readable = attempts.shouldCheck(checkpoint) ? await canRead(input, place, checkpoint) : null;
  const next = attempts.next(step.cause, place, checkpoint, readable, Date.now());
  log.info('restarting backup', {
    jobId: input.jobId,
    next: next.node,
    restart: next.restart.kind,
    reason: next.restart.reason,
  });
  return true;
}

/**
 * Whether `node` can resume the checkpoint onto `drive`: its drives open there, it opens with its
 * drive's key, and `drive` names chunks as its data does (same format and content key); not
 * readable when the node cannot say. Histories before sealed checkpoints hold a boolean. The drive
 * is part of the activity's input only, which replay does not compare: no patch.
 */
function canRead(
  input: BackupJobInput,
  { node, drive }: { node: string; drive: DriveSpec },
  checkpoint: CheckpointRef,
): Promise<CheckpointCheck> {
  return nodeActivities<BackupActivities>({ cluster: input.cluster, node }, input.settings, {
    kind: 'check',
    summary: `can ${node} read the checkpoint written on ${checkpoint.node}?`,
  })
    .canReadCheckpoint({ jobId: input.jobId, checkpoint, drive })
    .then(
      (answer: CheckpointCheck | boolean) => (typeof answer === 'boolean' ? { readable: answer } : answer),
      () => ({ readable: false }),
    );
}

/**
 * Begins the attempt once its drive is the job's (JOB_WAITS_IN_LINE): while another job holds it,
 * or is first in its line, waits for a driveFreed signal or DRIVE_WAIT_POLL, then asks again. The
 * jobs first in line for a drive it let go of are woken (JOB_WAKES_THE_LINE_IT_LEAVES).
 */
async function beginInLine(
  job: JobTracker,
  start: AttemptStart,
  show: () => void,
  patches: JobPatches,
): Promise<number> {
  for (;;) {
    const freed = job.drivesFreed;
    const begun = await catalog.beginAttemptInLine(start);
    if (patches.wakesLineItLeaves) await wakeNextInLine(start.jobId, begun.wake ?? []);
    if ('epoch' in begun) return begun.epoch;
    job.waitingForDrive(begun.drive, begun.waitingFor);
    show();
    await condition(() => job.drivesFreed !== freed, DRIVE_WAIT_POLL);
  }
}

/** Runs attempts until one succeeds or the job gives up; JobTracker holds how it went. */
async function runAttempts(
  input: BackupJobInput,
  job: JobTracker,
  { mark, show }: ReturnType<typeof jobShell>,
  patches: JobPatches,
): Promise<void> {
  const { wakesOnMove, committedWins } = patches;
  const attempts = new JobAttempts(input);
  for (;;) {
    const attempt = attempts.current;
    const { number, node, drive } = attempt;
    const epoch = patches.waitsInLine
      ? await beginInLine(job, attempts.start(), show, patches)
      : await catalog.beginAttempt(attempts.start());
    job.attemptStarted(number, epoch, node, drive.name, attempt.restart);
    mark('running', node);
    if (attempts.rerouted) {
      await getExternalWorkflowHandle(input.coordinatorId)
        .signal(jobRoutedSignal, { jobId: input.jobId, node, drive: drive.name, attempt: number })
        .catch((err: unknown) => log.warn('could not tell the coordinator where the job runs', { error: String(err) }));
    }

    const end = await runAttempt(input, job, attempt, epoch, committedWins);
    if (end.kind === 'succeeded') {
      job.succeeded(end.outcome);
      await catalog.endAttempt({ cluster: input.cluster, jobId: input.jobId, number, outcome: 'succeeded' });
      return;
    }
    const { outcome, detail } = JobAttempts.ending(end);
    job.attemptEnded(outcome, detail);
    await catalog.endAttempt({ cluster: input.cluster, jobId: input.jobId, number, outcome, detail });
    if (!(await prepareRetry(input, job, attempts, end, wakesOnMove))) return;
  }
}

/** Tells each job that it is first in line for a drive this one released; a job gone meanwhile polls. */
async function wakeNextInLine(jobId: string, next: string[]): Promise<void> {
  for (const id of next) {
    await getExternalWorkflowHandle(id)
      .signal(driveFreedSignal, { by: jobId })
      .catch((err: unknown) => log.info('could not wake the next job in line', { job: id, error: String(err) }));
  }
}

/**
 * Records the end in the catalog (which releases the job's drive lease), wakes the job first in line
 * for it, and tells the coordinator.
 */
async function recordEnd(
  input: BackupJobInput,
  job: JobTracker,
  mark: (s: JobState, n: string) => void,
  patches: JobPatches,
) {
  const view = job.get();
  mark(view.state, view.node);
  // an older build's activity answers nothing
  const released: { wake: string[] } | undefined = await catalog.recordJobFinished({
    jobId: input.jobId,
    cluster: input.cluster,
    app: input.app.name,
    node: view.node,
    drive: view.drive,
    state: view.state,
    outcome: view.outcome,
    error: view.error,
  });
  // the jobs first in line for the drives it released ask for them now (JOB_WAITS_IN_LINE)
  if (patches.waitsInLine) await wakeNextInLine(input.jobId, released?.wake ?? []);
  const end = { jobId: input.jobId, state: view.state, error: view.error };
  try {
    if (patches.endsByUpdate) await reporterOf(input.cluster).reportJobEnd({ coordinatorId: input.coordinatorId, end });
    else await getExternalWorkflowHandle(input.coordinatorId).signal(jobFinishedSignal, end);
  } catch (err) {
    log.warn('could not tell the coordinator the job ended', { error: String(err) });
  }
}

/** Records the end, and returns or throws the job's result. */
async function finish(
  input: BackupJobInput,
  job: JobTracker,
  mark: (s: JobState, n: string) => void,
  patches: JobPatches,
): Promise<BackupJobResult> {
  await recordEnd(input, job, mark, patches);
  const view = job.get();
  if (view.state === 'failed') {
    throw ApplicationFailure.nonRetryable(`backup of ${input.app.name} failed: ${view.error}`, 'BackupFailed');
  }
  return {
    jobId: input.jobId,
    app: input.app.name,
    node: view.node,
    drive: view.drive,
    state: view.state,
    outcome: view.outcome,
    attempts: view.attempts,
  };
}

/**
 * The job stopped on `err` rather than by deciding: a cancellation (its running attempt and the
 * job recorded as cancelled, then the cancellation rethrown so Temporal shows the job cancelled)
 * or an error of its own (the job fails with it). The recording runs in a non-cancellable scope:
 * a cancelled workflow's activities would otherwise be cancelled before they start.
 */
async function endOnError(
  input: BackupJobInput,
  job: JobTracker,
  mark: (s: JobState, n: string) => void,
  err: unknown,
  patches: JobPatches,
): Promise<BackupJobResult> {
  const cancelled = isCancellation(err);
  const number = job.runningAttempt;
  if (cancelled) job.cancelled('cancelled by request');
  else job.failed(`the job stopped on an error: ${describeFailure(err, 'the cluster service').message}`);
  const { state, error } = job.get();
  return CancellationScope.nonCancellable(async () => {
    if (number !== null) {
      const outcome = cancelled ? 'cancelled' : 'failed';
      await catalog.endAttempt({ cluster: input.cluster, jobId: input.jobId, number, outcome, detail: error });
    }
    if (state === 'failed') return finish(input, job, mark, patches);
    await recordEnd(input, job, mark, patches);
    throw err;
  });
}

/** Ends a job whose workflow started after its `startBy` (JOB_STARTS_WITHIN_ITS_WINDOW). */
function refuseLateStart(input: BackupJobInput): void {
  if (input.startBy === undefined) return;
  const started = workflowInfo().runStartTime;
  if (started.getTime() <= Date.parse(input.startBy)) return;
  throw ApplicationFailure.nonRetryable(
    `backup job ${input.jobId} started at ${started.toISOString()}, after its window closed at ${input.startBy}: ` +
      'the coordinator may have given it up, so it does not run; request the backup again',
    'StartedTooLate',
  );
}

export async function backupJob(input: BackupJobInput): Promise<BackupJobResult> {
  const job = new JobTracker(input);
  const shell = jobShell(job);
  const { mark } = shell;
  const patches: JobPatches = {
    wakesOnMove: patched(JOB_WAKES_ON_MOVE),
    committedWins: patched(JOB_COMMITTED_ATTEMPT_WINS),
    endsByUpdate: patched(JOB_REPORTS_END_BY_UPDATE),
    startWindow: patched(JOB_STARTS_WITHIN_ITS_WINDOW),
    waitsInLine: patched(JOB_WAITS_IN_LINE),
    wakesLineItLeaves: patched(JOB_WAKES_THE_LINE_IT_LEAVES),
  };
  if (patches.startWindow) refuseLateStart(input);
  try {
    await catalog.recordJobStarted(input);
    await runAttempts(input, job, shell, patches);
  } catch (err) {
    if (!patched(JOB_ENDS_ON_ANY_EXIT)) throw err;
    return endOnError(input, job, mark, err, patches);
  }
  return finish(input, job, mark, patches);
}
