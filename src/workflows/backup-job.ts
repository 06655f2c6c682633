/**
 * One backup of one app, as a sequence of attempts. Each attempt takes a fencing epoch and a
 * drive lease from the catalog and runs the backup service's activity on the queue of the node
 * that hosts the app. When the app moves (the coordinator signals) or the attempt's node dies
 * (heartbeat or schedule-to-start timeout), the job finds the app's new host, decides between a
 * checkpoint restart and a fresh restart (restart-policy.ts), records why, and carries on there.
 * Wiring only; JobTracker holds the state.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { BackupActivities } from '../activities/backup-activities';
import type { HostActivities } from '../activities/host-activities';
import { JobTracker } from './job-tracker';
import { appMovedSignal, jobFinishedSignal, jobProgressSignal, jobRoutedSignal, jobViewQuery } from './messages';
import { SEARCH_ATTRIBUTES, nodeQueue } from '../model/names';
import { decideRestart } from './restart-policy';
import type {
  AttemptOutcome,
  BackupJobInput,
  BackupJobResult,
  BackupOutcome,
  CheckpointRef,
  JobState,
  RestartDecision,
} from '../model/backup';
import type { DriveSpec } from '../model/plan';
import { jobCatalog as catalog } from './job-catalog';
import { isFinalBackupFailure } from '../model/failures';

const cluster = proxyActivities<HostActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '5s', maximumAttempts: 10 },
});

type AttemptEnd =
  | { kind: 'succeeded'; outcome: BackupOutcome }
  | { kind: 'moved'; to: string }
  | { kind: 'failed'; outcome: AttemptOutcome; error: string; final: boolean };

function describeFailure(err: unknown): { outcome: AttemptOutcome; error: string; final: boolean } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) {
    const what =
      cause.timeoutType === TimeoutType.HEARTBEAT
        ? 'stopped heartbeating (node dead or cut off)'
        : cause.timeoutType === TimeoutType.SCHEDULE_TO_START
          ? 'was never picked up (no backup service polling that node)'
          : 'ran out of time';
    return { outcome: 'timed-out', error: what, final: false };
  }
  if (cause instanceof ApplicationFailure) {
    const final = isFinalBackupFailure(cause.type);
    return { outcome: cause.type === 'Fenced' ? 'fenced' : 'failed', error: cause.message, final };
  }
  return { outcome: 'failed', error: cause instanceof Error ? cause.message : String(cause), final: false };
}

export async function backupJob(input: BackupJobInput): Promise<BackupJobResult> {
  const job = new JobTracker(input);
  const settings = input.settings;
  let shown = '';
  const show = () => {
    const details = job.details();
    if (details !== shown) setCurrentDetails((shown = details));
  };
  const mark = (state: JobState, node: string) => {
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.state, value: state },
      { key: SEARCH_ATTRIBUTES.node, value: node },
    ]);
    show();
  };
  setHandler(jobViewQuery, () => job.get());
  setHandler(jobProgressSignal, (progress) => {
    job.progress(progress);
    show();
  });
  setHandler(appMovedSignal, ({ to }) => job.appMoved(to));

  /** Runs one attempt on `node` until it ends or the app moves away from that node. */
  const runAttempt = async (
    number: number,
    epoch: number,
    node: string,
    drive: DriveSpec,
    resumeFrom: CheckpointRef | null,
  ): Promise<AttemptEnd> => {
    const service = proxyActivities<BackupActivities>({
      taskQueue: nodeQueue(node),
      // A node with no poller (dead before it picked the task up) is caught here...
      scheduleToStartTimeout: `${settings.scheduleToStartTimeoutSeconds}s`,
      startToCloseTimeout: '24h',
      // ...and a worker that dies mid-backup here.
      heartbeatTimeout: `${settings.heartbeatTimeoutSeconds}s`,
      // Do not wait for a dead node to confirm the cancellation; fencing stops its late writes.
      cancellationType: ActivityCancellationType.TRY_CANCEL,
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
        (err: unknown): AttemptEnd => ({ kind: 'failed', ...describeFailure(err) }),
      ),
      condition(() => job.pendingMove !== null).then((): AttemptEnd => ({
        kind: 'moved',
        to: job.pendingMove ?? node,
      })),
    ]);
    if (end.kind === 'moved') {
      scope.cancel();
      await running.catch(() => undefined);
    }
    return end;
  };

  /** Asks the cluster service where the app runs, waiting (bounded) for it to be placed. */
  const waitForPlacement = async (): Promise<string | null> => {
    const deadline = Date.now() + settings.placementWaitSeconds * 1000;
    for (;;) {
      const host = await cluster.appHost(input.app.name);
      if (host !== null) return host;
      if (Date.now() >= deadline) return null;
      await sleep('2s');
    }
  };

  await catalog.recordJobStarted(input);

  let node = input.node;
  let drive = input.drive;
  let restart: RestartDecision | null = null;
  let resumeFrom: CheckpointRef | null = null;
  for (let number = 1; ; number++) {
    const epoch = await catalog.beginAttempt({
      cluster: input.cluster,
      jobId: input.jobId,
      number,
      node,
      drive: drive.name,
      restart: restart ?? undefined,
      resumedFrom: resumeFrom
        ? { at: resumeFrom.at, node: resumeFrom.node, files: resumeFrom.files, bytes: resumeFrom.bytes }
        : undefined,
    });
    job.attemptStarted(number, epoch, node, drive.name, restart);
    mark('running', node);
    if (number > 1) {
      await getExternalWorkflowHandle(input.coordinatorId)
        .signal(jobRoutedSignal, { jobId: input.jobId, node, drive: drive.name, attempt: number })
        .catch((err: unknown) => log.warn('could not tell the coordinator where the job runs', { error: String(err) }));
    }

    const end = await runAttempt(number, epoch, node, drive, resumeFrom);
    if (end.kind === 'succeeded') {
      job.succeeded(end.outcome);
      await catalog.endAttempt({ cluster: input.cluster, jobId: input.jobId, number, outcome: 'succeeded' });
      break;
    }
    const outcome = end.kind === 'moved' ? 'moved' : end.outcome;
    const detail = end.kind === 'moved' ? `app moved to ${end.to}` : end.error;
    job.attemptEnded(outcome, detail);
    await catalog.endAttempt({ cluster: input.cluster, jobId: input.jobId, number, outcome, detail });
    if (end.kind === 'failed' && end.final) {
      job.failed(end.error);
      break;
    }
    if (number >= settings.maxAttempts) {
      job.failed(`gave up after ${number} attempts; the last one on ${node}: ${detail}`);
      break;
    }

    const cause =
      end.kind === 'moved' ? `app moved from ${node} to ${end.to}` : `attempt ${number} on ${node} ${end.error}`;
    const next = end.kind === 'moved' ? end.to : await waitForPlacement();
    if (next === null) {
      job.failed(`${cause}, and the cluster placed the app on no node within ${settings.placementWaitSeconds} s`);
      break;
    }
    const nextDrive = job.driveFor(next);
    if (!nextDrive) {
      job.failed(`${cause}, but node ${next} has no pre-assigned drive; add one to the config`);
      break;
    }
    const checkpoint = await catalog.latestCheckpoint(input.jobId);
    let readable: boolean | null = null;
    if (checkpoint && input.app.restart !== 'fresh') {
      readable = await proxyActivities<BackupActivities>({
        taskQueue: nodeQueue(next),
        scheduleToStartTimeout: `${settings.scheduleToStartTimeoutSeconds}s`,
        startToCloseTimeout: '30s',
        retry: { maximumAttempts: 1 },
        summary: `can ${next} read the checkpoint written on ${checkpoint.node}?`,
      })
        .canReadCheckpoint({ jobId: input.jobId, checkpoint })
        .catch(() => false);
    }
    restart = decideRestart({
      policy: input.app.restart,
      maxCheckpointAgeSeconds: input.app.maxCheckpointAgeSeconds,
      checkpoint,
      nowMs: Date.now(),
      cause,
      readable,
      nextNode: next,
    });
    log.info('restarting backup', { jobId: input.jobId, next, restart: restart.kind, reason: restart.reason });
    resumeFrom = restart.kind === 'checkpoint' ? checkpoint : null;
    node = next;
    drive = nextDrive;
  }

  const view = job.get();
  mark(view.state, view.node);
  await catalog.recordJobFinished({
    jobId: input.jobId,
    cluster: input.cluster,
    app: input.app.name,
    node: view.node,
    drive: view.drive,
    state: view.state,
    outcome: view.outcome,
    error: view.error,
  });
  try {
    await getExternalWorkflowHandle(input.coordinatorId).signal(jobFinishedSignal, {
      jobId: input.jobId,
      state: view.state,
      error: view.error,
    });
  } catch (err) {
    log.warn('could not tell the coordinator the job ended', { error: String(err) });
  }
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
