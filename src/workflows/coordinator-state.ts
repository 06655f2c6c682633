/**
 * The primary coordinator's state and decisions, free of Temporal so unit tests drive it
 * directly. The workflow in coordinator.ts does the awaiting and the activity calls; this class
 * says what should happen. All state is one JSON-safe object (CoordinatorSnapshot) that
 * continue-as-new carries to the next run whole.
 */
import { hostOf, type ClusterSnapshot } from '../model/cluster';
import { coordinatorMove, type CoordinatorMove } from '../model/coordinator-move';
import { backupWorkflowId, unscopedBackupWorkflowId } from '../model/names';
import { startSettled } from '../model/backup-job-start';
import type { AppSpec, ClusterPlan, DriveSpec } from '../model/plan';
import type { BackupJobInput, JobEntry, JobState, StartBackupRequest, StartedBackup } from '../model/backup';
import { answerOf, withAnswer, withoutJobs } from './answered-requests';
import { unreachableLine, type ClosedJob, type ClusterOutage, type CoordinatorSnapshot } from '../model/coordinator';
import { planProblems } from '../model/plan-problems';
import { removalsInUse } from '../model/plan-diff';
import { BatonError } from '../model/errors';
import type { RefusalCode } from '../model/failures';

/** How many finished jobs the coordinator keeps for `status`; the catalog keeps them all. */
export const RECENT_JOBS_KEPT = 20;

/** The longest the coordinator waits between observations while the cluster service fails. */
export const MAX_RETRY_SECONDS = 60;

/** A refusal the caller should see: names what is wrong and how to fix it. */
export class CoordinatorRefusal extends BatonError {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How long after a hand-over the coordinator watches the node it left: reported down within this
 * time, the move is recorded as the failover it was (a node that dies is reported down only once its
 * cluster service noticed: Pacemaker's corosync token timeout and consensus take seconds, the
 * coordinator moves 1.5-3 s after its host died).
 */
export const HANDOVER_WATCH_SECONDS = 60;

export interface Observation {
  /** The coordinator's host changed from one node to another: a hand-over or a failover. */
  coordinatorMoved: { from: string; to: string } | null;
  appMoves: { app: string; from: string | null; to: string | null }[];
  /** The node of a watched hand-over, now reported down: that move was a failover. */
  handoverWasFailover: { from: string; atMs: number; move: CoordinatorMove } | null;
}

export function initialSnapshot(plan: ClusterPlan): CoordinatorSnapshot {
  return { plan, hosts: {}, clusterVersion: null, host: null, running: [], recent: [], lastJobIdMs: 0 };
}

export class CoordinatorState {
  /**
   * Jobs planned whose workflows are being started (COORDINATOR_STARTS_BACKUPS_AT_ONCE): listed as
   * running, so their app is busy, but not yet for the reconcile to look up. Not carried into a new
   * run: every update handler has finished by then.
   */
  private readonly starting = new Set<string>();

  constructor(private readonly s: CoordinatorSnapshot) {}

  static fromPlan(plan: ClusterPlan): CoordinatorState {
    return new CoordinatorState(initialSnapshot(plan));
  }

  snapshot(): CoordinatorSnapshot {
    return this.s;
  }

  get cluster(): string {
    return this.s.plan.cluster;
  }

  get host(): string | null {
    return this.s.host;
  }

  /** The version of the cluster service's view the coordinator holds; null before the first. */
  get clusterVersion(): string | null {
    return this.s.clusterVersion;
  }

  /**
   * Replaces the plan (apps, nodes, drives). Refuses, changing nothing, a plan that is inconsistent
   * or (with `refuseRemovalsInUse`, the default) takes away the app, node or drive of a running job.
   */
  configure(plan: ClusterPlan, refuseRemovalsInUse = true): void {
    if (plan.cluster !== this.s.plan.cluster) {
      throw new CoordinatorRefusal(
        'InvalidPlan',
        `plan is for cluster "${plan.cluster}" but this coordinator runs cluster "${this.s.plan.cluster}"; ` +
          'send it to the coordinator of that cluster',
      );
    }
    const problems = planProblems(plan);
    if (problems.length > 0) throw new CoordinatorRefusal('InvalidPlan', problems.join('; '));
    if (refuseRemovalsInUse) this.checkRemovals(plan);
    this.s.plan = plan;
    // The next observation places every app again, an added one too (it only looks when the
    // cluster's version changed, and an added app was not there to place at that version).
    this.s.clusterVersion = null;
  }

  /** Refuses (InUse) a plan that takes away the app, node or drive of a running job, naming the job. */
  checkRemovals(plan: ClusterPlan): void {
    const inUse = removalsInUse(plan, this.s.running);
    if (inUse.length > 0) throw new CoordinatorRefusal('InUse', inUse.join('; '));
  }

  /**
   * Takes in what the hosting node and its cluster service report; says what changed. `nowMs`
   * (workflow clock) times the watch of a hand-over's node; without it the watch is not checked.
   */
  observe(hostNode: string, cluster: ClusterSnapshot, nowMs?: number): Observation {
    const previousHost = this.s.host;
    this.s.host = hostNode;
    const coordinatorMoved =
      previousHost !== null && previousHost !== hostNode ? { from: previousHost, to: hostNode } : null;

    let handoverWasFailover: Observation['handoverWasFailover'] = null;
    const watched = this.s.handedOver;
    if (watched && (coordinatorMoved || (nowMs !== undefined && nowMs - watched.atMs > HANDOVER_WATCH_SECONDS * 1000)))
      delete this.s.handedOver;
    // only a changed view lists the nodes (an unchanged one comes back without them: HostObservation)
    else if (watched && nowMs !== undefined && cluster.version !== this.s.clusterVersion) {
      const move = coordinatorMove(watched.from, cluster);
      if (move.kind === 'coordinator-failover') {
        handoverWasFailover = { ...watched, move };
        delete this.s.handedOver;
      }
    }

    const appMoves: Observation['appMoves'] = [];
    if (cluster.version !== this.s.clusterVersion) {
      for (const app of this.s.plan.apps) {
        const now = hostOf(cluster, app.name);
        const before = this.s.hosts[app.name];
        if (before !== undefined && before !== now) appMoves.push({ app: app.name, from: before, to: now });
        this.s.hosts[app.name] = now;
      }
      this.s.clusterVersion = cluster.version;
    }
    return { coordinatorMoved, appMoves, handoverWasFailover };
  }

  /** The coordinator recorded a hand-over from `from` at `atMs`: the next observations watch that node. */
  handedOver(from: string, atMs: number): void {
    this.s.handedOver = { from, atMs };
  }

  /** While the cluster service fails: when it began and the last error. */
  get outage(): ClusterOutage | null {
    return this.s.clusterUnreachable ?? null;
  }

  /**
   * The cluster service did not answer: the coordinator keeps its last view of the cluster.
   * Returns true when this is the first failure in a row (the outage begins now).
   */
  clusterFailed(nowIso: string, error: string): boolean {
    const outage = this.s.clusterUnreachable;
    if (outage) {
      Object.assign(outage, { error, failures: outage.failures + 1 });
      return false;
    }
    this.s.clusterUnreachable = { since: nowIso, error, failures: 1 };
    return true;
  }

  /** The cluster service answered again; returns the outage that ended, if there was one. */
  clusterAnswered(): ClusterOutage | null {
    const outage = this.s.clusterUnreachable ?? null;
    delete this.s.clusterUnreachable;
    return outage;
  }

  /** Seconds to the next observation: `tick`, doubled per failure in a row up to MAX_RETRY_SECONDS (or `tick`). */
  nextTickSeconds(tick: number): number {
    const failures = this.s.clusterUnreachable?.failures ?? 0;
    if (failures === 0) return tick;
    return Math.max(tick, Math.min(MAX_RETRY_SECONDS, tick * 2 ** Math.min(failures, 10)));
  }

  /** Whether running jobs are due a check against Temporal at `nowMs`; if so, the next is `everyMs` later. */
  reconcileDue(nowMs: number, everyMs: number): boolean {
    if (nowMs < (this.s.nextReconcileMs ?? 0)) return false;
    this.s.nextReconcileMs = nowMs + everyMs;
    return true;
  }

  /**
   * The IDs of the jobs this coordinator believes run at `nowMs`, for the reconcile: those still
   * being started left out, as are those a requester starts until their window is over
   * (startSettled).
   */
  runningJobIds(nowMs: number): string[] {
    return this.s.running.filter((j) => !this.starting.has(j.jobId) && startSettled(j, nowMs)).map((j) => j.jobId);
  }

  /** Jobs the reconcile found dead and closed: they end here as they ended in the catalog. */
  jobsClosed(closed: ClosedJob[], nowIso: string): void {
    for (const job of closed) this.jobFinished(job.jobId, job.state, nowIso, job.error);
    // a repeat of their requests plans anew: the job was never started, or something outside ended it
    const ids = closed.map((j) => j.jobId);
    if (this.s.answers) this.s.answers = withoutJobs(this.s.answers, ids);
  }

  runningJobsOf(app: string): JobEntry[] {
    return this.s.running.filter((j) => j.app === app);
  }

  hostOf(app: string): string | null {
    return this.s.hosts[app] ?? null;
  }

  app(name: string): AppSpec {
    const app = this.s.plan.apps.find((a) => a.name === name);
    if (!app) {
      const known = this.s.plan.apps.map((a) => a.name).join(', ') || 'none';
      throw new CoordinatorRefusal(
        'UnknownApp',
        `unknown app "${name}"; apps of cluster "${this.cluster}": ${known}. Add it to the config's apps list first`,
      );
    }
    return app;
  }

  /** The drive a backup on `node` writes to: the first drive pre-assigned to that node. */
  driveFor(node: string): DriveSpec {
    const drive = this.s.plan.drives.find((d) => d.node === node);
    if (!drive) {
      throw new CoordinatorRefusal('NoDrive', `node "${node}" has no pre-assigned drive; add one to the config`);
    }
    return drive;
  }

  /**
   * Decides a new backup of `appName` at workflow time `nowMs`: the job ID, the node that hosts the
   * app and that node's drive. Refuses (and changes nothing) for an unknown, unplaced or busy app.
   * `scopedId` false: the ID without the cluster, as a coordinator from before IDs named it did.
   */
  planBackup(
    appName: string,
    nowMs: number,
    requestedBy: string,
    coordinatorId: string,
    full = false,
    scopedId = true,
  ): BackupJobInput {
    const app = this.app(appName);
    const node = this.s.hosts[appName] ?? null;
    if (node === null) {
      throw new CoordinatorRefusal(
        'AppNotPlaced',
        `app "${appName}" is not running on any node, so there is nowhere to back it up from; ` +
          'start it in the cluster service, then retry',
      );
    }
    const busy = this.s.running.find((j) => j.app === appName);
    if (busy) {
      throw new CoordinatorRefusal(
        'AlreadyRunning',
        `app "${appName}" already has a backup running (${busy.jobId}); wait for it or cancel it first`,
      );
    }
    const ms = Math.max(nowMs, this.s.lastJobIdMs + 1);
    this.s.lastJobIdMs = ms;
    const jobId = scopedId ? backupWorkflowId(this.cluster, appName, ms) : unscopedBackupWorkflowId(appName, ms);
    return this.jobInput(jobId, app, node, this.driveFor(node), coordinatorId, requestedBy, full);
  }

  private jobInput(
    jobId: string,
    app: AppSpec,
    node: string,
    drive: DriveSpec,
    coordinatorId: string,
    requestedBy: string,
    full: boolean,
  ): BackupJobInput {
    const { cluster } = this;
    return {
      cluster,
      jobId,
      coordinatorId,
      app,
      node,
      drive,
      drives: this.s.plan.drives,
      settings: this.s.plan.jobs,
      requestedBy,
      full,
    };
  }

  /**
   * The answer to a backup request: its job's ID, node and drive. Kept for a repeat of the update
   * `updateId` (answered-requests.ts); undefined keeps nothing (a run from before COORDINATOR_ANSWERS_REPEATS).
   */
  answer(job: BackupJobInput, updateId: string | undefined, nowMs: number): StartedBackup {
    const { jobId, node } = job;
    const drive = job.drive.name;
    if (updateId) this.s.answers = withAnswer(this.s.answers ?? [], { updateId, jobId, node, drive, atMs: nowMs });
    return { jobId, node, drive };
  }

  /**
   * The answer to a repeat of the update `updateId`, given by this run or one before it, or null for
   * a request not answered lately. While its job waits for its requester to start it (its window
   * open), the answer carries the job again, made from `request` and the plan, so a requester that
   * never heard the first answer starts it (a second start of it finds it started: planned-job-start.ts).
   */
  answerAgain(
    updateId: string,
    request: StartBackupRequest,
    coordinatorId: string,
    nowMs: number,
  ): StartedBackup | null {
    const answer = answerOf(this.s.answers ?? [], updateId, nowMs);
    if (!answer) return null;
    const started = { jobId: answer.jobId, node: answer.node, drive: answer.drive };
    const entry = this.s.running.find((j) => j.jobId === answer.jobId);
    const drive = this.s.plan.drives.find((d) => d.name === answer.drive);
    if (!request.startsJob || !entry?.startBy || startSettled(entry, nowMs) || !drive) return started;
    const { requestedBy, full = false } = request;
    const job = this.jobInput(
      answer.jobId,
      this.app(request.app),
      answer.node,
      drive,
      coordinatorId,
      requestedBy,
      full,
    );
    return { ...started, job: { ...job, startBy: entry.startBy } };
  }

  jobStarted(job: BackupJobInput, nowIso: string): void {
    this.s.running.push({
      jobId: job.jobId,
      app: job.app.name,
      node: job.node,
      drive: job.drive.name,
      state: 'running',
      startedAt: nowIso,
      ...(job.startBy ? { startBy: job.startBy } : {}),
    });
  }

  /**
   * A planned job whose workflow is about to be started: its app is busy from now on (another
   * request for it is refused as AlreadyRunning), so requests for other apps can be planned and
   * started meanwhile. Then `jobStartConfirmed` once the workflow started, or `jobNotStarted`.
   */
  jobStarting(job: BackupJobInput, nowIso: string): void {
    this.jobStarted(job, nowIso);
    this.starting.add(job.jobId);
  }

  jobStartConfirmed(jobId: string): void {
    this.starting.delete(jobId);
  }

  /** The job's workflow could not be started: it leaves the running jobs without a trace. */
  jobNotStarted(jobId: string): void {
    this.starting.delete(jobId);
    const index = this.s.running.findIndex((j) => j.jobId === jobId);
    if (index >= 0) this.s.running.splice(index, 1);
  }

  /** A job started an attempt elsewhere: keep its entry pointing at the node that runs it. */
  jobRouted(jobId: string, node: string, drive: string): void {
    const job = this.s.running.find((j) => j.jobId === jobId);
    if (job) Object.assign(job, { node, drive });
  }

  /**
   * Records a job's end and returns its entry. Unknown job IDs (already finished, or from an older
   * plan) are ignored: null.
   */
  jobFinished(jobId: string, state: JobState, nowIso: string, error?: string): JobEntry | null {
    const index = this.s.running.findIndex((j) => j.jobId === jobId);
    if (index < 0) return null;
    const [job] = this.s.running.splice(index, 1);
    const entry = { ...job, state, finishedAt: nowIso, ...(error ? { error } : {}) };
    this.s.recent.unshift(entry);
    this.s.recent.length = Math.min(this.s.recent.length, RECENT_JOBS_KEPT);
    return entry;
  }

  /** Markdown for the Web UI's "current details": host, where each app runs, running jobs. */
  details(): string {
    const apps = this.s.plan.apps.map((a) => `\`${a.name}\` on ${this.s.hosts[a.name] ?? '(not running)'}`);
    const running = this.s.running.map((j) => `\`${j.jobId}\` on ${j.node}`);
    const outage = this.s.clusterUnreachable;
    return [
      `coordinator of cluster **${this.cluster}**, running on **${this.s.host ?? '(starting)'}**`,
      ...(outage ? [`**${unreachableLine(outage)}**; running on its last view of the cluster`] : []),
      `apps: ${apps.join(', ') || 'none'}`,
      `running jobs: ${running.join(', ') || 'none'}`,
    ].join('\n\n');
  }
}
