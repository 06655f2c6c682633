/**
 * The drill's report from the catalog's record of the job: its attempts, checkpoints and events
 * (read once), a restore of its snapshot compared with the source, and what the drill itself did.
 * buildReport and outcomeProblems are pure, so tests feed them fixed rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attemptsOf } from '../catalog/attempts';
import { getJob, jobEvents } from '../catalog/jobs';
import type { Catalog } from '../catalog/open';
import type { AttemptRow, JobEventRow, JobRow } from '../catalog/schema';
import { coordinatorStatus } from '../client/coordinator-client';
import { repositoryPassword } from '../config/load';
import type { BackupJobResult } from '../model/backup';
import type { AppSpec } from '../model/plan';
import { compareTrees } from './compare-trees';
import type { DrillContext } from './drill-context';
import type { ProgressWatch } from './progress-watch';
import type { DrillAttempt, DrillReport } from './report';
import { committedSnapshots, restoreJobSnapshot } from './restore';
import type { DrillRun } from './scenarios/scenario';
import type { Scenario } from './scenario-names';
import { computeTimings, rereadBytes } from './timings';

/** What the catalog holds about the job once the drill is over. */
export interface JobRecord {
  attempts: AttemptRow[];
  checkpoints: { epoch: number; at: string }[];
  events: JobEventRow[];
  job: JobRow | undefined;
  /** The snapshots committed for the job (drive path#ID). */
  commits: string[];
}

/** The restore of the job's snapshot, compared with the app's data paths. */
export interface RestoreCheck {
  restore: DrillReport['restore'];
  identical: boolean;
  problem: string | null;
}

export interface ReportInput {
  scenario: Scenario;
  app: Pick<AppSpec, 'name' | 'paths'>;
  drives: readonly { name: string; path: string }[];
  checkpointEverySeconds: number;
  record: JobRecord;
  run: Pick<
    DrillRun,
    | 'jobId'
    | 'fault'
    | 'faultAtMs'
    | 'result'
    | 'failoverEvent'
    | 'fencedEvent'
    | 'coordinatorBefore'
    | 'cleanup'
    | 'coordinatorStayed'
  >;
  /** The last progress the attempt with `epoch` reported (the progress watch's figure). */
  lastBytes: (epoch: number) => number | null;
  /** When the attempt with `epoch` was first writing again, as it said (ProgressWatch.writingAt). */
  writingAt: (epoch: number) => string | null;
  check: RestoreCheck;
  /** Where the coordinator runs after the drill (coordinator-failover). */
  coordinatorHostAfter: string | null;
}

export async function readJobRecord(catalog: Catalog, jobId: string): Promise<JobRecord> {
  const attempts = await attemptsOf(catalog, jobId);
  const events = await jobEvents(catalog, jobId);
  // a job's checkpoints are deleted when it ends; the event that says so keeps their times
  const deleted = events.find((e) => e.kind === 'checkpoints-deleted')?.data_json;
  const checkpoints = deleted
    ? (JSON.parse(deleted) as { checkpoints: { epoch: number; at: string }[] }).checkpoints
    : await catalog.selectFrom('checkpoints').select(['epoch', 'at']).where('job_id', '=', jobId).execute();
  const job = await getJob(catalog, jobId);
  const commits = await committedSnapshots(catalog, jobId);
  return { attempts, checkpoints, events, job, commits };
}

/** Restores a succeeded job's snapshot into a temporary directory and compares it with the source. */
export async function checkRestore(c: DrillContext, result: BackupJobResult | null): Promise<RestoreCheck> {
  if (result?.state !== 'succeeded') return { restore: null, identical: false, problem: null };
  const { app, config } = c;
  const target = await mkdtemp(join(tmpdir(), 'baton-drill-restore-'));
  try {
    const restored = await restoreJobSnapshot(result, target, app.paths, repositoryPassword(config));
    let difference: string | null = null;
    let files = 0;
    let bytes = 0;
    for (const [i, source] of app.paths.entries()) {
      const cmp = await compareTrees(source, restored.roots[i]);
      files += cmp.files;
      bytes += cmp.bytes;
      difference ??= cmp.difference;
    }
    return {
      restore: { files, bytes, difference },
      identical: difference === null,
      problem: difference ? `restore differs from the source: ${difference}` : null,
    };
  } catch (err) {
    return { restore: null, identical: false, problem: `restore failed: ${(err as Error).message}` };
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}

/** What went wrong with the job's outcome: its end, its restore, its commits. */
export function outcomeProblems(result: BackupJobResult | null, check: RestoreCheck, commits: string[]): string[] {
  if (result?.state !== 'succeeded') {
    return [result ? `job ${result.state}${result.error ? `: ${result.error}` : ''}` : 'the job did not end'];
  }
  const problems = check.problem ? [check.problem] : [];
  if (commits.length !== 1) {
    problems.push(`expected one committed snapshot, found ${commits.length}: ${commits.join(', ')}`);
  }
  return problems;
}

function drillAttempt(a: AttemptRow): DrillAttempt {
  return {
    number: a.number,
    node: a.node,
    drive: a.drive,
    epoch: a.epoch,
    outcome: a.outcome,
    started_at: a.started_at,
    ended_at: a.ended_at,
    restart: a.restart_kind ? { kind: a.restart_kind, reason: a.restart_reason ?? '' } : null,
  };
}

function timingsOf(i: ReportInput): DrillReport['timings'] {
  const { run, record } = i;
  const second = record.attempts.find((a) => a.number === 2);
  if (!run.fault)
    return { fault_to_detection: null, to_reroute: null, to_resumed_writing: null, to_writing_again: null };
  const failoverMs = run.failoverEvent ? Date.parse(run.failoverEvent.at) : null;
  const reconciled =
    failoverMs === null
      ? undefined
      : record.events.find((e) => e.kind === 'coordinator-reconciled' && Date.parse(e.at) >= failoverMs);
  return computeTimings({
    scenario: i.scenario,
    faultAtMs: run.faultAtMs,
    attempts: record.attempts,
    checkpoints: record.checkpoints,
    coordinatorFailoverAt: run.failoverEvent?.at ?? null,
    reconciledAt: reconciled?.at ?? null,
    jobFinishedAt: record.job?.finished_at ?? null,
    secondWritingAt: second ? i.writingAt(second.epoch) : null,
  });
}

/** The failed attempt's last progress and the checkpoint bytes the next attempt resumed from. */
function rereadBasis(i: ReportInput): DrillReport['reread_basis'] {
  const first = i.record.attempts.find((a) => a.number === 1);
  const second = i.record.attempts.find((a) => a.number === 2);
  const resumedFrom = second?.resumed_from_json
    ? (JSON.parse(second.resumed_from_json) as { bytes: number }).bytes
    : second
      ? 0
      : null;
  return { last_progress_bytes: first ? i.lastBytes(first.epoch) : null, resumed_from_bytes: resumedFrom };
}

function notesOf(i: ReportInput): string[] {
  const notes: string[] = [];
  const failover = i.run.failoverEvent;
  if (i.run.coordinatorStayed && failover) {
    notes.push(
      `${failover.message}: it was back before the coordinator's next workflow task (a supervisor faster than ` +
        "the coordinator's tick), so the coordinator continued without moving; detection is that task's time",
    );
  }
  const finished = i.record.job?.finished_at;
  if (!failover || !finished || finished >= failover.at) return notes;
  notes.push(
    `the job ended (${finished}) before the coordinator acted on its new host (${failover.at}): ` +
      'there was no running job to reconcile, so to_reroute and to_resumed_writing are null',
  );
  return notes;
}

/** The report, still unjudged (ok false, no reason): the driver adds the verdict. Pure. */
export function buildReport(i: ReportInput): DrillReport {
  const { run, record, app } = i;
  const result = run.result;
  const basis = rereadBasis(i);
  const restarted = record.attempts.some((a) => a.number === 2);
  return {
    scenario: i.scenario,
    app: app.name,
    job: run.jobId,
    ok: false,
    reason: null,
    fault: run.fault ?? { kind: 'none', node: '', pid: null, at: '', detail: 'no fault was injected' },
    job_state: result?.state ?? record.job?.state ?? 'unknown',
    attempts: record.attempts.map(drillAttempt),
    snapshot: result?.outcome?.snapshotId ?? null,
    drive: i.drives.find((d) => d.name === result?.drive)?.path ?? null,
    source: app.paths.join(', '),
    timings: timingsOf(i),
    reread_bytes: rereadBytes(basis.last_progress_bytes, basis.resumed_from_bytes, restarted),
    reread_basis: basis,
    checkpoint_interval_s: i.checkpointEverySeconds,
    restore_identical: i.check.identical,
    restore: i.check.restore,
    commits: record.commits.length,
    coordinator:
      i.scenario === 'coordinator-failover'
        ? {
            host_before: run.coordinatorBefore,
            host_after: i.coordinatorHostAfter,
            stayed_on_restarted_node: run.coordinatorStayed,
          }
        : null,
    fenced_event: run.fencedEvent,
    cleanup: run.cleanup,
    notes: notesOf(i),
  };
}

/**
 * Reads the catalog's record of the job, restores its snapshot, and builds the report; what went
 * wrong with the job's outcome is added to run.problems.
 */
export async function gatherReport(
  c: DrillContext,
  scenario: Scenario,
  run: DrillRun,
  watch: ProgressWatch,
): Promise<DrillReport> {
  const record = await readJobRecord(c.catalog, run.jobId);
  const check = await checkRestore(c, run.result);
  run.problems.push(...outcomeProblems(run.result, check, record.commits));
  const coordinatorHostAfter =
    scenario === 'coordinator-failover'
      ? (run.failoverEvent?.node ?? (await coordinatorStatus(c.client, c.config.cluster)).host)
      : null;
  return buildReport({
    scenario,
    app: c.app,
    drives: c.config.plan.drives,
    checkpointEverySeconds: c.config.plan.jobs.checkpointEverySeconds,
    record,
    run,
    lastBytes: (epoch) => watch.lastBytes(epoch),
    writingAt: (epoch) => watch.writingAt(epoch),
    check,
    coordinatorHostAfter,
  });
}
