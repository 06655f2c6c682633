/**
 * The catalog as activities. Workflows write the catalog only through these; they run on the
 * shared coordinator queue, so any node's worker can take them (the catalog is on shared storage).
 */
import {
  beginAttempt,
  beginAttemptInLine,
  endAttempt,
  latestCheckpoint,
  releaseLeases,
  type AttemptBegun,
  type AttemptStart,
} from '../catalog/attempts';
import { settleMovedAttempt } from '../catalog/attempt-commits';
import { addEvent, addEvents, jobFinished, jobStarted, type EventInput, type JobEnd } from '../catalog/jobs';
import type { Catalog } from '../catalog/open';
import {
  findSnapshot,
  operationFinished,
  operationStarted,
  type OperationEnd,
  type OperationStart,
} from '../catalog/operations';
import { savePlan } from '../catalog/plan';
import type { BackupJobInput, BackupOutcome, CheckpointRef } from '../model/backup';
import type { ClusterPlan } from '../model/plan';
import type { SnapshotSource } from '../model/operations';
import { recordAttemptEnded } from '../metrics/node-metrics';
import { failure } from './failure';

export function createCatalogActivities(db: Catalog) {
  const now = () => new Date().toISOString();
  return {
    async savePlan(plan: ClusterPlan): Promise<void> {
      await savePlan(db, plan, now());
    },
    async recordEvent(event: EventInput): Promise<void> {
      await addEvent(db, event, now());
    },
    /** Several events, in their order, in one transaction. */
    async recordEvents(events: EventInput[]): Promise<void> {
      await addEvents(db, events, now());
    },
    async recordJobStarted(job: BackupJobInput): Promise<void> {
      await jobStarted(db, job, now());
    },
    /**
     * Records the job's end and releases its drives; `wake`: the jobs first in line for them, which
     * the job tells (driveFreedSignal). Histories before the lines hold no answer.
     */
    async recordJobFinished(end: JobEnd): Promise<{ wake: string[] }> {
      await jobFinished(db, end, now());
      return { wake: await releaseLeases(db, end.jobId, now()) };
    },
    /** Issues the attempt's fencing epoch and leases its drive; DriveBusyError while another job holds it. */
    async beginAttempt(start: AttemptStart): Promise<number> {
      return beginAttempt(db, start, now());
    },
    /** As beginAttempt, but a busy drive puts the job in its line and says whom it waits for. */
    async beginAttemptInLine(start: AttemptStart): Promise<AttemptBegun> {
      return beginAttemptInLine(db, start, now());
    },
    /**
     * An attempt ended `moved`: fenced off, unless it committed already; then its outcome (a
     * committed attempt wins, attempt-commits.ts).
     */
    async settleMovedAttempt(s: {
      cluster: string;
      jobId: string;
      number: number;
      epoch: number;
    }): Promise<BackupOutcome | null> {
      return settleMovedAttempt(db, s, now());
    },
    async endAttempt(end: { cluster: string; jobId: string; number: number; outcome: string; detail?: string }) {
      if (await endAttempt(db, end, now())) recordAttemptEnded(end.cluster, end.outcome);
    },
    /**
     * The snapshot a restore reads (by ID or prefix, or the app's latest) and its drive. An unknown
     * one fails for good: asking again gives the same answer.
     */
    async resolveRestoreSource(input: { app: string; snapshotId: string | null }): Promise<SnapshotSource> {
      const found = await findSnapshot(db, input.app, input.snapshotId);
      if (!found.ok) throw failure(found.problem, 'UnknownSnapshot');
      const s = found.snapshot;
      return {
        snapshotId: s.id,
        app: s.app,
        jobId: s.job_id,
        drive: s.drive,
        drivePath: s.drive_path,
        at: s.at,
        files: Number(s.files),
        bytes: Number(s.bytes),
      };
    },
    /** A restore or verify passed its checks and starts: its job row and `<kind>-started` event. */
    async recordOperationStarted(op: OperationStart): Promise<void> {
      await operationStarted(db, op, now());
    },
    /** A restore or verify ended: its row's state and counts, and its `<kind>-finished|failed|cancelled` event. */
    async recordOperationFinished(end: OperationEnd): Promise<void> {
      await operationFinished(db, end, now());
    },
    async latestCheckpoint(jobId: string): Promise<CheckpointRef | null> {
      const row = await latestCheckpoint(db, jobId);
      if (!row) return null;
      return {
        at: row.at,
        epoch: row.epoch,
        node: row.node,
        files: Number(row.files),
        bytes: Number(row.bytes),
        seq: row.seq,
      };
    },
  };
}

export type CatalogActivities = ReturnType<typeof createCatalogActivities>;
