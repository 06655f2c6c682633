/**
 * The primary coordinator: one long-running workflow per cluster. Wiring only; CoordinatorState
 * decides. Every node's worker polls the coordinator queue, so the coordinator runs on whichever
 * node picks up its next task. Each tick it asks, by local activity, which node that is and what
 * the node's cluster service reports; the activity tells it by signal when that changed, and the
 * coordinator acts on the signal.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { CatalogActivities } from '../activities/catalog-activities';
import type { HostActivities, HostObservation } from '../activities/host-activities';
import type { ReconcileActivities } from '../activities/reconcile-activities';
import type { ScheduleActivities } from '../activities/schedule-activities';
import { backupJob } from './backup-job';
import { retentionJob } from './retention-job';
import { RetentionQueue } from './retention-queue';
import { HostReports } from './host-reports';
import { CoordinatorRefusal, CoordinatorState, type Observation } from './coordinator-state';
import { planProblems } from '../model/plan-problems';
import { removalsInUse } from '../model/plan-diff';
import {
  COORDINATOR_RUN_EVENTS,
  unreachableLine,
  type CoordinatorSnapshot,
  type HostReport,
} from '../model/coordinator';
import { coordinatorMove } from '../model/coordinator-move';
import type { ClusterSnapshot } from '../model/cluster';
import { Lock } from './lock';
import {
  appMovedSignal,
  clusterChangedSignal,
  COORDINATOR_DRAINING,
  configureUpdate,
  coordinatorStatusQuery,
  hostReportSignal,
  jobEndedUpdate,
  jobFinishedSignal,
  jobRoutedSignal,
  retentionFinishedSignal,
  startBackupUpdate,
} from './messages';
import type { BackupJobInput, JobEntry, JobFinished, StartBackupRequest, StartedBackup } from '../model/backup';
import { SEARCH_ATTRIBUTES, coordinatorQueue } from '../model/names';
import { START_WINDOW_MS, backupJobStartOptions } from '../model/backup-job-start';
import type { ClusterPlan } from '../model/plan';

/**
 * Backup IDs name their cluster (`baton-backup-<cluster>-<app>-<time>`). A history recorded before
 * (coordinator-failover-0.1.0.json) started its children under `baton-backup-<app>-<time>`, and a
 * child's ID is part of what a replay checks.
 */
export const BACKUP_IDS_NAME_THEIR_CLUSTER = 'backup-ids-name-their-cluster';

/**
 * configure refuses a plan that takes away the app, node or drive of a running job. Its validator
 * refuses it before the update enters history; the handler checks again under the lock (a job may
 * have started meanwhile), and only there, behind this patch, since a coordinator from before the
 * check took such a plan.
 */
export const CONFIGURE_REFUSES_REMOVALS_IN_USE = 'configure-refuses-removals-in-use';

/**
 * The coordinator outlives its cluster service: a failed observation is caught (it runs on its
 * last view and retries with backoff), and it checks its running jobs against Temporal's view
 * now and then (closeDeadJobs). Histories recorded before had neither command.
 */
export const COORDINATOR_RECONCILES = 'coordinator-reconciles';

/**
 * After a successful backup of an app with a keep policy, the coordinator starts a retention job
 * on its drive (one at a time per drive). Histories recorded before had no such child.
 */
export const COORDINATOR_APPLIES_RETENTION = 'coordinator-applies-retention';

/**
 * Backup jobs start with a short workflow task timeout (WORKFLOW_TASK_TIMEOUT): a task a frozen
 * node took goes to another node after 2 s, not 10. Histories recorded before started them
 * without one.
 */
export const JOBS_SHORT_TASK_TIMEOUT = 'jobs-short-task-timeout';

/**
 * When the server suggests continue-as-new, the coordinator keeps ticking until every update it
 * accepted has finished (it refuses new ones meanwhile), then continues as new. Before, it stopped
 * ticking at once and waited for its handlers: a startBackup accepted before its first observation
 * waited for a host that no tick would ever set, and the run never ended.
 */
export const COORDINATOR_DRAINS = 'coordinator-drains-before-continue-as-new';

/**
 * After the coordinator changes host, it signals a running job only when the job's app no longer
 * runs on the job's node. Before, it signalled every running job: a continue-as-new run often
 * starts on another node, so a 30-minute backup got a signal (4 events) every few runs
 * (bench/history: 16 events while it ran), a history growing with the backup's length.
 */
export const RECONCILE_TELLS_MOVED_ONLY = 'coordinator-reconcile-tells-moved-jobs-only';

/**
 * The coordinator continues as new once its run's history reaches COORDINATOR_RUN_EVENTS events,
 * whatever the server suggests (1000 events on Baton's dev servers, 4096 on a default server). A
 * node that takes the coordinator over after its host died has none of it cached and replays the
 * run's whole history; on a busy node that took longer than the 2 s workflow task timeout, and
 * each timed-out try replays again from the start (docs/drills.md, "Where the time goes").
 * Histories recorded before ran until the server's suggestion.
 */
export const COORDINATOR_SHORT_RUNS = 'coordinator-short-runs';

/**
 * The coordinator signals a moved app's running jobs while it records the move, not after: the
 * job hears of the move one catalog round trip sooner. Histories recorded before recorded the
 * `app-moved` event first.
 */
export const MOVES_TOLD_WHILE_RECORDED = 'coordinator-tells-moves-while-recording';

/**
 * The coordinator observes its host and cluster every second by default, not every 2 s: after
 * its host dies, nothing runs it before its next tick (then the dead node's sticky queue times
 * out after 1 s, and another node replays it), so the tick is the largest wait a host's death
 * costs (docs/drills.md). Histories recorded before ticked every 2 s.
 */
export const COORDINATOR_TICKS_EVERY_SECOND = 'coordinator-ticks-every-second';

/**
 * A move of the coordinator is recorded as `coordinator-handover` when its new host's cluster
 * service reports the node it left up, `coordinator-failover` otherwise (coordinatorMove, with the
 * reason in the event); a hand-over's node reported down within HANDOVER_WATCH_SECONDS after it
 * gets a second, `coordinator-failover` event. Histories recorded before called every move a
 * failover.
 */
export const COORDINATOR_TELLS_HANDOVER = 'coordinator-tells-handover-from-failover';

/**
 * startBackup plans a job under the coordinator's lock and starts its workflow after releasing it:
 * requests that arrive together are planned and their workflows started in one workflow task.
 * Before, each request held the lock until its child had started (a workflow task to start it, and
 * one to hear it started), so requests were answered one at a time. (On bench/scale's 2-core
 * machine this barely moved the dispatch tail, which the machine's load sets: docs/scale.md.) The
 * app is marked busy when its job is planned (jobStarting), so a second request for it is still
 * refused. Histories recorded before started one child at a time.
 */
export const COORDINATOR_STARTS_BACKUPS_AT_ONCE = 'coordinator-starts-backups-at-once';

/**
 * The app moves of one observation are told and recorded together (MOVES_AT_ONCE at a time), in
 * one workflow task, not one move after another: bench/scale failed over nodes of ten apps each
 * and, on a loaded coordinator, recorded their moves one activity round trip apart, 2 to 16 s for
 * the ten, so the jobs of the last apps heard of their move after a 6 s backup had ended. Histories
 * recorded before reported moves one at a time.
 */
export const COORDINATOR_REPORTS_MOVES_AT_ONCE = 'coordinator-reports-moves-at-once';

/** How many app moves the coordinator tells and records at once (bounds its pending activities). */
const MOVES_AT_ONCE = 50;

/**
 * A move of the coordinator records its event and one `coordinator-reconciled` event for each
 * running job in one catalog activity (EVENTS_AT_ONCE a call), and tells the jobs whose app moved
 * together, not one job's catalog round trip after another. bench/scale found the runs of its
 * coordinator, whose new runs start on whichever worker takes their first task, spending 4.5 s
 * of a 9 s hand-over recording 40 such events one at a time, refusing requests meanwhile.
 * Histories recorded before recorded them one by one.
 */
export const COORDINATOR_RECONCILES_AT_ONCE = 'coordinator-reconciles-at-once';

/**
 * A run due for its next (and with no request left to answer) hands over as soon as it is, not at
 * its next tick: the tick's wait ends then too. bench/scale's coordinator sat out a 2 s tick after
 * its last request was answered, refusing new ones meanwhile. Histories recorded before waited.
 */
export const COORDINATOR_HANDS_OVER_BETWEEN_TICKS = 'coordinator-hands-over-between-ticks';

/**
 * The coordinator asks its cluster service (a local activity) only while no configure is saving a
 * plan. A new coordinator's first observation ran beside the configure that `baton apply` and the
 * nodes send it by update-with-start, and the SDK (1.24.0) sometimes delivered that local
 * activity's result a workflow task later than the history it recorded says: replayed on another
 * node, the run then issued its commands in another order and failed as nondeterministic (CI:
 * frozen-node.test's coordinator stuck; 2 of 34 demo starts here). With nothing of the plan's
 * in flight the late delivery orders nothing differently. It waits CONFIGURE_WAIT at most: a
 * configure whose catalog is down retries its activities for as long, and the coordinator must not
 * stop watching its cluster meanwhile. Histories recorded before observed at once.
 */
export const COORDINATOR_OBSERVES_BETWEEN_CONFIGURES = 'coordinator-observes-between-configures';

/**
 * The coordinator acts on what its host's cluster service says only when it hears it by signal
 * (hostReport), a history event, not when the local activity that asks returns. The SDK (1.24.0)
 * delivers a local activity's result a workflow task later than its history records when a query
 * is answered while the activity runs (sdk-core's managed_run.rs forces a new task then); whatever
 * the coordinator did on that result then came after the next task's updates and signals live, and
 * before them on replay: bench-style load with status queries every 5 ms left 55 of 123 coordinator
 * runs that another node could not replay (scripts/coordinator-replay-stress.ts). Acting on a signal,
 * nothing it does depends on when a local activity's result arrives. The activity signals only
 * news (another node, another view, a failure, an answer after an outage), so an unchanged tick
 * costs no more history than before. Histories recorded before acted on the activity's result.
 */
export const COORDINATOR_HEARS_HOST_BY_SIGNAL = 'coordinator-hears-host-by-signal';

/**
 * A backup request that says its requester starts the job (StartBackupRequest.startsJob; every
 * sendStartBackup does) gets the planned job in its answer, and the requester starts the job's
 * workflow with the client (src/client/planned-job-start.ts); the coordinator no longer starts it as
 * its child. bench/scale's children started one after another, 0.3 to 0.5 s apart, each start
 * the server's work on the coordinator's own history, so a run due for its next waited for some 28
 * of them and the dispatch p99 was 12 to 28 s; each child's start and end were three more events in
 * that history (docs/scale.md: on the Temporal server, dispatch p99 29.7 s before, 10.4 s after). The job's `startBy` bounds
 * when it may start, and the reconcile closes a job whose workflow never came (START_GRACE_MS).
 * Histories recorded before started every job as a child, and a run started by older code keeps
 * doing so whatever the request says.
 */
export const COORDINATOR_LETS_REQUESTERS_START_JOBS = 'coordinator-lets-requesters-start-jobs';

/**
 * A job's end (its jobEnded update or jobFinished signal) notes whether the run is due for its
 * next, as a backup request's answer does, so a run that a job's end made due hands over at once.
 * Before, only requests and ticks noted it: with jobs' ends the bulk of its events, a due run sat
 * out its tick wait (up to 2 s in bench/scale, 1.2-1.5 s median from due to close) while its
 * validators refused every request. Histories recorded before waited for the tick.
 */
export const COORDINATOR_HANDS_OVER_ON_JOB_END = 'coordinator-hands-over-on-job-end';

/**
 * A backup request repeated under an update ID that this run or one before it answered lately gets
 * that answer again, its job, instead of a plan of its own (answered-requests.ts). The server answers
 * a repeat only in the run that took the update: a scheduled run's request whose first try timed out
 * after its job was planned reached the next run when retried, and was refused "already has a
 * backup running" for its own job (bench/scale's burst from the apps' schedules: 59 of 1,000 runs),
 * or, after that job had ended, started a second backup. Histories recorded before planned every
 * request that reached them.
 */
export const COORDINATOR_ANSWERS_REPEATS = 'coordinator-answers-repeats';

/** How long an observation waits for a configure being applied (COORDINATOR_OBSERVES_BETWEEN_CONFIGURES). */
const CONFIGURE_WAIT = '5s';

/** How many events one recordEvents activity carries. */
const EVENTS_AT_ONCE = 500;

type EventInput = Parameters<CatalogActivities['recordEvent']>[0];

export interface CoordinatorInput {
  /**
   * The first run's plan. A run continued as new carries its plan in `state` only (runs of code from
   * before 2026-12-07's night carried it here too: 232 KiB more per run at 1,000 apps, docs/scale.md).
   */
  plan?: ClusterPlan;
  /** Carried over by continue-as-new; absent on the first run. */
  state?: CoordinatorSnapshot;
  /** Seconds between observations of host and cluster (default 1; 2 before COORDINATOR_TICKS_EVERY_SECOND). */
  tickSeconds?: number;
  /** Seconds between checks of running jobs against Temporal's own view (default 30). */
  reconcileSeconds?: number;
  /** Seconds a requester has to start a job planned for it (default START_WINDOW_MS: its `startBy`). */
  startWindowSeconds?: number;
  /** Events after which a run continues as new (default COORDINATOR_RUN_EVENTS). */
  runEvents?: number;
}

const catalog = proxyActivities<CatalogActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '10s' },
});

const scheduler = proxyActivities<ScheduleActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumInterval: '10s' },
});

const reconciler = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '10s', maximumAttempts: 3 },
});

const host = proxyLocalActivities<HostActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3 },
});

/** reportHost tries the cluster service three times itself (1 s and 2 s apart); it retries a failed signal. */
const reporter = proxyLocalActivities<HostActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

/**
 * Refuses a new update once a new run is due (the server suggests continue-as-new, or the run
 * reached its own bound: COORDINATOR_SHORT_RUNS). Without this a coordinator asked
 * for backups faster than it finishes them always has an update handler running, never reaches
 * allHandlersFinished, and its history grows until the server terminates it (bench/scale: 5,400
 * events and 9.5 MB in one run at 3 requests a second). A refused update leaves no event; the
 * client retries it on the next run.
 */
function refuseWhileDraining(due: DueForNext): void {
  if (due.now()) {
    throw ApplicationFailure.retryable(
      'the coordinator is handing over to its next run (continue-as-new); retry in a moment',
      COORDINATOR_DRAINING,
    );
  }
}

/**
 * Whether this run is due for its next (the server suggests continue-as-new, or the run reached its
 * own bound), asked two ways. `now()` asks at once: the validators refuse new updates with it. The
 * wait between ticks reads `seen` instead, the answer at the end of the last update handler or
 * tick: an update a validator refuses runs the workflow in a task that leaves no event, with a
 * longer history than the task before, and a hand-over begun there (the wait ends, its timer is
 * cancelled) is one that replay never sees (`No command scheduled for event TimerCanceled`, 3 of 31
 * stressed runs). Handler ends and ticks happen where history events run the workflow.
 */
class DueForNext {
  seen = false;
  constructor(readonly now: () => boolean) {}

  note(): void {
    this.seen = this.now();
  }
}

function refusal(err: unknown): never {
  if (err instanceof CoordinatorRefusal) throw ApplicationFailure.nonRetryable(err.message, err.code);
  throw err;
}

/**
 * The patches this run of the coordinator follows, asked once, at the top of its first workflow
 * task. Asked later, a patched() call can land in another workflow task on replay than it did live:
 * one made right after the observeHost local activity resolved was recorded, live, in the task
 * after the one that carried the local activity's marker (seen in a demo's history, the activity
 * done within 63 ms), and the replay made it in the earlier one, saw a patch marker with no change
 * command, and failed every task of the coordinator from then on (TMPRL1100). Asked at the start, a
 * marker's place never depends on timing. A run started by older code follows none of them until
 * its next continue-as-new.
 */
interface Patches {
  refusesRemovalsInUse: boolean;
  scopedBackupIds: boolean;
  reconciles: boolean;
  appliesRetention: boolean;
  shortJobTaskTimeout: boolean;
  drains: boolean;
  tellsMovedOnly: boolean;
  shortRuns: boolean;
  tellsWhileRecording: boolean;
  ticksEverySecond: boolean;
  tellsHandover: boolean;
  startsAtOnce: boolean;
  movesAtOnce: boolean;
  reconcilesAtOnce: boolean;
  handsOverBetweenTicks: boolean;
  observesBetweenConfigures: boolean;
  hearsHostBySignal: boolean;
  requestersStartJobs: boolean;
  handsOverOnJobEnd: boolean;
  answersRepeats: boolean;
}

function patchesOfThisRun(): Patches {
  return {
    refusesRemovalsInUse: patched(CONFIGURE_REFUSES_REMOVALS_IN_USE),
    scopedBackupIds: patched(BACKUP_IDS_NAME_THEIR_CLUSTER),
    reconciles: patched(COORDINATOR_RECONCILES),
    appliesRetention: patched(COORDINATOR_APPLIES_RETENTION),
    shortJobTaskTimeout: patched(JOBS_SHORT_TASK_TIMEOUT),
    drains: patched(COORDINATOR_DRAINS),
    tellsMovedOnly: patched(RECONCILE_TELLS_MOVED_ONLY),
    shortRuns: patched(COORDINATOR_SHORT_RUNS),
    tellsWhileRecording: patched(MOVES_TOLD_WHILE_RECORDED),
    ticksEverySecond: patched(COORDINATOR_TICKS_EVERY_SECOND),
    tellsHandover: patched(COORDINATOR_TELLS_HANDOVER),
    startsAtOnce: patched(COORDINATOR_STARTS_BACKUPS_AT_ONCE),
    movesAtOnce: patched(COORDINATOR_REPORTS_MOVES_AT_ONCE),
    reconcilesAtOnce: patched(COORDINATOR_RECONCILES_AT_ONCE),
    handsOverBetweenTicks: patched(COORDINATOR_HANDS_OVER_BETWEEN_TICKS),
    observesBetweenConfigures: patched(COORDINATOR_OBSERVES_BETWEEN_CONFIGURES),
    hearsHostBySignal: patched(COORDINATOR_HEARS_HOST_BY_SIGNAL),
    requestersStartJobs: patched(COORDINATOR_LETS_REQUESTERS_START_JOBS),
    handsOverOnJobEnd: patched(COORDINATOR_HANDS_OVER_ON_JOB_END),
    answersRepeats: patched(COORDINATOR_ANSWERS_REPEATS),
  };
}

/** Returns `show`, which updates the Web UI's current details when they changed. */
function detailsOf(state: CoordinatorState): () => void {
  let shown = '';
  return () => {
    const details = state.details();
    if (details !== shown) setCurrentDetails((shown = details));
  };
}

/**
 * configure: a new plan, checked, saved, and its schedules synced, one request at a time. Returns
 * whether one is waiting or being applied (COORDINATOR_OBSERVES_BETWEEN_CONFIGURES).
 */
function handleConfigure(state: CoordinatorState, lock: Lock, patches: Patches, due: DueForNext): () => boolean {
  // counted from the handler's call (in the activation that delivers the request, before the
  // observation can start) to its end, waiting for the lock included
  let pending = 0;
  const take = (plan: ClusterPlan) => {
    try {
      const inUse = removalsInUse(plan, state.snapshot().running).length > 0;
      state.configure(plan, inUse && patches.refusesRemovalsInUse);
    } catch (err) {
      refusal(err);
    }
  };
  setHandler(
    configureUpdate,
    (plan: ClusterPlan) => {
      pending++;
      return lock.run(async () => {
        try {
          take(plan);
          await catalog.savePlan(plan);
          await scheduler.syncSchedules(plan);
        } finally {
          pending--;
          due.note();
        }
      });
    },
    {
      validator: (plan: ClusterPlan) => {
        refuseWhileDraining(due);
        const problems = planProblems(plan);
        if (problems.length > 0) throw new Error(problems.join('; '));
        try {
          state.checkRemovals(plan);
        } catch (err) {
          if (err instanceof CoordinatorRefusal) throw new Error(err.message);
          throw err;
        }
      },
    },
  );
  return () => pending > 0;
}

/**
 * startBackup: plans a job on the app's current host and starts it as an abandoned child. The plan
 * is made under the lock; the child is started under it too before COORDINATOR_STARTS_BACKUPS_AT_ONCE,
 * after it since.
 */
function handleStartBackup(
  state: CoordinatorState,
  lock: Lock,
  show: () => void,
  patches: Patches,
  due: DueForNext,
  startWindowSeconds: number | undefined,
): void {
  const self = workflowInfo().workflowId;
  const startWindowMs = startWindowSeconds !== undefined ? startWindowSeconds * 1000 : START_WINDOW_MS;
  const plan = async (request: StartBackupRequest): Promise<BackupJobInput> => {
    // Until the first observation the coordinator does not know where apps run.
    await condition(() => state.host !== null);
    try {
      const scopedId = patches.scopedBackupIds;
      return state.planBackup(request.app, Date.now(), request.requestedBy, self, request.full ?? false, scopedId);
    } catch (err) {
      refusal(err);
    }
  };
  // the update's ID is read where its handler starts: the lock may run a waiting callback from
  // another handler's continuation
  const started = (job: BackupJobInput, updateId: string | undefined): StartedBackup => {
    show();
    return state.answer(job, updateId, Date.now());
  };
  const start = async (request: StartBackupRequest): Promise<StartedBackup> => {
    const updateId = patches.answersRepeats ? currentUpdateInfo()?.id : undefined;
    const again = updateId && state.answerAgain(updateId, request, self, Date.now());
    if (again) return again;
    if (patches.requestersStartJobs && request.startsJob) {
      return lock.run(async () => {
        const planned = await plan(request);
        const job = { ...planned, startBy: new Date(Date.now() + startWindowMs).toISOString() };
        state.jobStarted(job, new Date().toISOString());
        return { ...started(job, updateId), job };
      });
    }
    if (!patches.startsAtOnce) {
      return lock.run(async () => {
        const job = await plan(request);
        await startJob(job, patches);
        state.jobStarted(job, new Date().toISOString());
        return started(job, updateId);
      });
    }
    const job = await lock.run(async () => {
      const job = await plan(request);
      state.jobStarting(job, new Date().toISOString());
      return job;
    });
    try {
      await startJob(job, patches);
    } catch (err) {
      state.jobNotStarted(job.jobId);
      show();
      throw err;
    }
    state.jobStartConfirmed(job.jobId);
    return started(job, updateId);
  };
  setHandler(
    startBackupUpdate,
    async (request: StartBackupRequest) => {
      try {
        return await start(request);
      } finally {
        due.note();
      }
    },
    {
      validator: (request: StartBackupRequest) => {
        refuseWhileDraining(due);
        try {
          state.app(request.app);
        } catch (err) {
          if (err instanceof CoordinatorRefusal) throw new Error(err.message);
          throw err;
        }
      },
    },
  );
}

/** Starts a planned backup job as an abandoned child on the coordinator queue (runs before COORDINATOR_LETS_REQUESTERS_START_JOBS). */
async function startJob(job: BackupJobInput, patches: Patches): Promise<void> {
  await startChild(backupJob, {
    ...backupJobStartOptions(job, patches.shortJobTaskTimeout),
    // The job outlives this run of the coordinator (continue-as-new) and reports back by signal.
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
}

/** Tells a running job where its app is now; the job re-routes if that is not where it runs. */
async function tellJob(jobId: string, move: { app: string; from: string | null; to: string | null }, reason: string) {
  try {
    await getExternalWorkflowHandle(jobId).signal(appMovedSignal, { ...move, reason });
  } catch (err) {
    // The job ended meanwhile; its jobFinished signal is on its way.
    log.warn('could not signal job', { jobId, error: String(err) });
  }
}

/** `each` of `items`, MOVES_AT_ONCE at a time (in one workflow task where nothing waits). */
async function atOnce<T>(items: T[], each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += MOVES_AT_ONCE) await Promise.all(items.slice(i, i + MOVES_AT_ONCE).map(each));
}

/** Records each app move the cluster service reported, and tells the app's running jobs. */
async function reportMoves(state: CoordinatorState, moves: Observation['appMoves'], patches: Patches): Promise<void> {
  const reason = 'cluster service reported a move';
  const report = async (move: Observation['appMoves'][number]): Promise<void> => {
    const jobs = state.runningJobsOf(move.app);
    const recorded = catalog.recordEvent({
      cluster: state.cluster,
      jobId: null,
      kind: 'app-moved',
      node: move.to,
      message:
        `app ${move.app} moved from ${move.from ?? 'nowhere'} to ${move.to ?? 'nowhere'}` +
        (jobs.length ? `; telling ${jobs.map((j) => j.jobId).join(', ')}` : ''),
      data: move,
    });
    if (patches.tellsWhileRecording) {
      await Promise.all([recorded, ...jobs.map((job) => tellJob(job.jobId, move, reason))]);
      return;
    }
    await recorded;
    for (const job of jobs) await tellJob(job.jobId, move, reason);
  };
  if (patches.movesAtOnce) {
    await atOnce(moves, report);
    return;
  }
  for (const move of moves) await report(move);
}

/**
 * A move of the coordinator itself: records it (a hand-over when this node's cluster service still
 * reports the node it left up, a failover otherwise) with what that service says, then reconciles
 * every running job with the app placement as seen from here.
 */
async function reconcile(
  state: CoordinatorState,
  { from, to }: { from: string; to: string },
  cluster: ClusterSnapshot,
  patches: Patches,
): Promise<void> {
  // A copy: jobFinished signals handled during the awaits below change the live list.
  const running = [...state.snapshot().running];
  const reconciling = `reconciling ${running.length} running job(s)`;
  const move = patches.tellsHandover ? coordinatorMove(from, cluster) : null;
  const moved: EventInput = {
    cluster: state.cluster,
    jobId: null,
    kind: move?.kind ?? 'coordinator-failover',
    node: to,
    message:
      `coordinator moved from ${from} to ${to}; ${reconciling}` +
      (move ? `; ${move.kind === 'coordinator-handover' ? 'a hand-over' : 'a failover'}: ${move.reason}` : ''),
    data: move
      ? { from, to, cluster, running: running.map((j) => j.jobId), fromState: move.fromState, reason: move.reason }
      : { from, to, cluster, running: running.map((j) => j.jobId) },
  };
  const reconciled = (job: JobEntry, now: string | null): EventInput => ({
    cluster: state.cluster,
    jobId: job.jobId,
    kind: 'coordinator-reconciled',
    node: to,
    message: `coordinator now on ${to} confirms the job; its app ${job.app} runs on ${now ?? 'no node'}`,
    data: { app: job.app, host: now, jobNode: job.node },
  });
  const tell = (job: JobEntry, now: string | null) =>
    tellJob(job.jobId, { app: job.app, from: job.node, to: now }, 'coordinator failover reconciliation');
  // a job whose app still runs on its node needs no word: only a move is a state change for it
  const toTell = (job: JobEntry, now: string | null) => !patches.tellsMovedOnly || now !== job.node;
  if (patches.reconcilesAtOnce) {
    const hosts = running.map((job) => state.hostOf(job.app));
    const events = [moved, ...running.map((job, i) => reconciled(job, hosts[i]))];
    for (let i = 0; i < events.length; i += EVENTS_AT_ONCE) {
      await catalog.recordEvents(events.slice(i, i + EVENTS_AT_ONCE));
    }
    if (move?.kind === 'coordinator-handover') state.handedOver(from, Date.now());
    const told = running.map((job, i) => ({ job, now: hosts[i] })).filter(({ job, now }) => toTell(job, now));
    await atOnce(told, ({ job, now }) => tell(job, now));
    return;
  }
  await catalog.recordEvent(moved);
  if (move?.kind === 'coordinator-handover') state.handedOver(from, Date.now());
  for (const job of running) {
    const now = state.hostOf(job.app);
    await catalog.recordEvent(reconciled(job, now));
    if (toTell(job, now)) await tell(job, now);
  }
}

/**
 * The node the coordinator left in a hand-over is now reported down by the cluster service, within
 * HANDOVER_WATCH_SECONDS: that node died before its cluster service noticed, and the move is
 * recorded again as the failover it was.
 */
async function recordLateFailover(
  state: CoordinatorState,
  { from, atMs, move }: NonNullable<Observation['handoverWasFailover']>,
  cluster: ClusterSnapshot,
): Promise<void> {
  const at = new Date(atMs).toISOString();
  await catalog.recordEvent({
    cluster: state.cluster,
    jobId: null,
    kind: 'coordinator-failover',
    node: state.host,
    message:
      `the coordinator's move off ${from} at ${at}, recorded as a hand-over, was a failover: ` + `${move.reason} now`,
    data: { from, to: state.host, handoverAt: at, cluster, fromState: move.fromState, reason: move.reason },
  });
}

/** The one-line cause of a failed activity. */
function messageOf(err: unknown): string {
  // The failure's own message, not its cause's (a ClusterUnavailableError names the fix; its cause is ENOENT).
  const failure = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return failure instanceof Error ? failure.message : String(failure);
}

/**
 * The cluster service did not answer (map file unreadable, Pacemaker stopped, crm_mon timing out):
 * the coordinator keeps its last view and records the outage's start once; its recovery is
 * recorded when the service answers again (actOn).
 */
async function clusterUnreachable(state: CoordinatorState, error: string): Promise<void> {
  if (!state.clusterFailed(new Date().toISOString(), error)) return;
  const outage = state.outage;
  log.warn('cluster service unreachable', { error: outage?.error });
  await catalog.recordEvent({
    cluster: state.cluster,
    jobId: null,
    kind: 'cluster-service-unreachable',
    node: state.host,
    message: `${outage ? unreachableLine(outage) : 'cluster service unreachable'}; running on the last known view`,
    data: outage,
  });
}

/** What the cluster service answered, acted on: an outage's end, app moves, a move of the coordinator. */
async function actOn(state: CoordinatorState, seen: HostObservation, patches: Patches): Promise<void> {
  const outage = state.clusterAnswered();
  if (outage) {
    await catalog.recordEvent({
      cluster: state.cluster,
      jobId: null,
      kind: 'cluster-service-recovered',
      node: seen.node,
      message: `cluster service answers again on ${seen.node}; it was unreachable since ${outage.since}`,
      data: outage,
    });
  }
  const change = state.observe(seen.node, seen.cluster, Date.now());
  await reportMoves(state, change.appMoves, patches);
  if (change.coordinatorMoved) await reconcile(state, change.coordinatorMoved, seen.cluster, patches);
  if (change.handoverWasFailover) await recordLateFailover(state, change.handoverWasFailover, seen.cluster);
}

/** One tick before COORDINATOR_HEARS_HOST_BY_SIGNAL: asks by local activity and acts on its result. */
async function observe(state: CoordinatorState, patches: Patches): Promise<void> {
  let seen: HostObservation;
  try {
    // the view it holds: an unchanged view comes back without its apps (HostObservation)
    seen = await host.observeHost({ host: state.host, version: state.clusterVersion });
  } catch (err) {
    if (!patches.reconciles) throw err;
    await clusterUnreachable(state, messageOf(err));
    return;
  }
  await actOn(state, seen, patches);
}

/** A host report heard by signal, acted on (COORDINATOR_HEARS_HOST_BY_SIGNAL). */
async function hear(state: CoordinatorState, report: HostReport, patches: Patches): Promise<void> {
  if ('error' in report) await clusterUnreachable(state, report.error);
  else await actOn(state, report, patches);
}

/**
 * Returns `ask`, which requests a host report: a reportHost local activity, one at a time (a
 * request made while one runs starts when it ends). Nothing here issues a command and nothing
 * reads the activity's result, so the task its result arrives in does not matter: what the
 * activity finds comes back as a hostReport signal.
 */
function hostAsker(state: CoordinatorState, reports: HostReports): () => void {
  const { workflowId, runId } = workflowInfo();
  let wanted = false;
  void (async () => {
    for (;;) {
      await condition(() => wanted);
      wanted = false;
      const outage = state.outage !== null;
      const request = {
        workflowId,
        runId,
        ask: reports.nextAsk(),
        host: state.host,
        version: state.clusterVersion,
        outage,
      };
      await reporter.reportHost(request).catch((err: unknown) => {
        log.warn('could not report the host', { error: messageOf(err) });
      });
    }
  })();
  return () => {
    wanted = true;
  };
}

/**
 * Closes the jobs Temporal says are over but that never recorded their end (terminated, timed
 * out): in the catalog (row, attempts, lease, event) by activity, and here.
 */
async function closeDeadJobs(state: CoordinatorState, show: () => void): Promise<void> {
  const closed = await reconciler
    .reconcileJobs({ cluster: state.cluster, running: state.runningJobIds(Date.now()), node: state.host })
    .catch((err: unknown) => {
      log.warn('could not check running jobs against Temporal', { error: messageOf(err) });
      return [];
    });
  state.jobsClosed(closed, new Date().toISOString());
  show();
}

/**
 * Returns a function that starts closeDeadJobs when it is due and none is in flight. It runs beside
 * the observations, not in their way: a describe taken by a worker that then died waits out the
 * activity's timeout, and app moves must not wait for it.
 */
function reconcileWhenDue(
  state: CoordinatorState,
  reconcileMs: number,
  show: () => void,
  patches: Patches,
): () => void {
  let inFlight = false;
  return () => {
    if (inFlight || !patches.reconciles || !state.reconcileDue(Date.now(), reconcileMs)) return;
    inFlight = true;
    void closeDeadJobs(state, show).finally(() => {
      inFlight = false;
    });
  };
}

/**
 * Starts the retention jobs that are due, as abandoned children on the coordinator queue: each
 * runs its work on the drive's node and signals its end back (retentionFinished).
 */
async function startRetentions(queue: RetentionQueue, patches: Patches): Promise<void> {
  const due = queue.due(Date.now(), workflowInfo().workflowId);
  if (due.length === 0 || !patches.appliesRetention) return;
  for (const job of due) {
    try {
      await startChild(retentionJob, {
        workflowId: job.jobId,
        taskQueue: coordinatorQueue(job.cluster),
        args: [job],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Retention on drive ${job.drive.name} (cluster ${job.cluster})`,
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.cluster, value: job.cluster },
          { key: SEARCH_ATTRIBUTES.node, value: job.node },
          { key: SEARCH_ATTRIBUTES.state, value: 'pending' },
        ],
      });
      queue.started(job, Date.now());
    } catch (err) {
      log.warn('could not start a retention job', { jobId: job.jobId, error: messageOf(err) });
      queue.skipped(job);
    }
  }
}

// Worker Versioning: jobs stay PINNED to the build they started on; the coordinator moves to each
// new current build at its next workflow task, so every change to it is patched (docs/upgrades.md).
// Only under Worker Versioning (opt-in): an unversioned worker that completes a task with a
// versioning behavior never completes it (the task times out on every try), so the behavior is
// asked per task, from the deployment of the worker running it.
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' } : {}),
  coordinator,
);
/**
 * A job's end, told by its jobEnded update or (older jobs) its jobFinished signal: the job leaves the
 * state, its drive may be due for retention, and (COORDINATOR_HANDS_OVER_ON_JOB_END) the run notes
 * whether it is due for its next.
 */
function handleJobEnds(
  state: CoordinatorState,
  retention: RetentionQueue,
  show: () => void,
  patches: Patches,
  due: DueForNext,
): void {
  const jobEnded = ({ jobId, state: end, error }: JobFinished) => {
    const job = state.jobFinished(jobId, end, new Date().toISOString(), error);
    if (job && end === 'succeeded') retention.backupSucceeded(job.app, job.drive);
    show();
    if (patches.handsOverOnJobEnd) due.note();
  };
  setHandler(jobFinishedSignal, jobEnded);
  // taken while the run drains too: it finishes at once, and a job's end told twice (once to a
  // run that closed before answering) finds the job gone the second time
  setHandler(jobEndedUpdate, jobEnded);
}

/** The state a run starts from: the one carried over, or a first run's plan's. */
function coordinatorState(input: CoordinatorInput): CoordinatorState {
  if (input.state) return new CoordinatorState(input.state);
  if (input.plan) return CoordinatorState.fromPlan(input.plan);
  throw ApplicationFailure.nonRetryable(
    "the coordinator was started without a plan; start it with `baton apply` (it sends the config's plan)",
    'InvalidPlan',
  );
}

export async function coordinator(input: CoordinatorInput): Promise<void> {
  const state = coordinatorState(input);
  const lock = new Lock();
  const show = detailsOf(state);
  const patches = patchesOfThisRun();
  const tickSeconds = input.tickSeconds ?? (patches.ticksEverySecond ? 1 : 2);
  const runEvents = input.runEvents ?? COORDINATOR_RUN_EVENTS;
  const newRunDue = () =>
    workflowInfo().continueAsNewSuggested || (patches.shortRuns && workflowInfo().historyLength >= runEvents);

  setHandler(coordinatorStatusQuery, () => state.snapshot());
  const due = new DueForNext(newRunDue);
  const configuring = handleConfigure(state, lock, patches, due);
  handleStartBackup(state, lock, show, patches, due, input.startWindowSeconds);
  setHandler(jobRoutedSignal, ({ jobId, node, drive }) => {
    state.jobRouted(jobId, node, drive);
    show();
  });
  let wake = false;
  setHandler(clusterChangedSignal, () => {
    wake = true;
  });
  const retention = new RetentionQueue(state.snapshot());
  handleJobEnds(state, retention, show, patches, due);
  setHandler(retentionFinishedSignal, ({ jobId, drive }) => retention.finished(drive, jobId));
  const reports = new HostReports();
  setHandler(hostReportSignal, (report) => reports.received(report));

  if (!input.state) {
    await catalog.savePlan(state.snapshot().plan);
    await scheduler.syncSchedules(state.snapshot().plan);
  }

  const reconcile = reconcileWhenDue(state, (input.reconcileSeconds ?? 30) * 1000, show, patches);
  const handingOver = () => newRunDue() && (!patches.drains || allHandlersFinished());
  if (patches.hearsHostBySignal) {
    const ask = hostAsker(state, reports);
    const handingOverSeen = () => due.seen && allHandlersFinished();
    // asked at the first tick, then when a tick's time passed or the cluster service's hook woke
    // it, not when a report ended the wait: a report answers an ask, and asking again at once
    // would skip the tick and its backoff while the cluster service fails
    let askNow = true;
    while (!handingOver()) {
      for (const report of reports.take()) await hear(state, report, patches);
      reconcile();
      await startRetentions(retention, patches);
      show();
      if (askNow) ask();
      due.note();
      const ended = await condition(
        () => wake || reports.pending() || handingOverSeen(),
        `${state.nextTickSeconds(tickSeconds)}s`,
      );
      askNow = !ended || wake;
      wake = false;
    }
  } else {
    while (!handingOver()) {
      if (patches.observesBetweenConfigures && configuring()) await condition(() => !configuring(), CONFIGURE_WAIT);
      await observe(state, patches);
      reconcile();
      await startRetentions(retention, patches);
      show();
      await condition(
        () => wake || (patches.handsOverBetweenTicks && handingOver()),
        `${state.nextTickSeconds(tickSeconds)}s`,
      );
      wake = false;
    }
  }

  await condition(allHandlersFinished);
  await continueAsNew<typeof coordinator>({
    state: state.snapshot(),
    tickSeconds: input.tickSeconds,
    reconcileSeconds: input.reconcileSeconds,
    startWindowSeconds: input.startWindowSeconds,
    runEvents: input.runEvents,
  });
}
