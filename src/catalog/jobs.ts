/** Jobs and their event timeline. */
import type { BackupJobInput, BackupJobResult } from '../model/backup';
import type { EventKind } from '../model/events';
import type { Catalog } from './open';
import type { JobEventRow, JobRow, SnapshotRow } from './schema';

export interface EventInput {
  cluster: string;
  jobId: string | null;
  kind: EventKind;
  node: string | null;
  message: string;
  data?: unknown;
}

function eventRow(event: EventInput, nowIso: string) {
  return {
    cluster: event.cluster,
    job_id: event.jobId,
    at: nowIso,
    kind: event.kind,
    node: event.node,
    message: event.message,
    data_json: event.data === undefined ? null : JSON.stringify(event.data),
  };
}

export async function addEvent(db: Catalog, event: EventInput, nowIso: string): Promise<void> {
  await db.insertInto('job_events').values(eventRow(event, nowIso)).execute();
}

/** Rows of one INSERT: 7 values each, well under SQLite's limit of 32,766 bound values. */
const EVENTS_PER_INSERT = 500;

/**
 * Several events in one transaction, in their order (the coordinator's reconcile records one for
 * each running job: one catalog round trip, not one each).
 */
export async function addEvents(db: Catalog, events: EventInput[], nowIso: string): Promise<void> {
  if (events.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < events.length; i += EVENTS_PER_INSERT) {
      const rows = events.slice(i, i + EVENTS_PER_INSERT).map((e) => eventRow(e, nowIso));
      await trx.insertInto('job_events').values(rows).execute();
    }
  });
}

/**
 * Deletes a job's checkpoints when it ends: nothing resumes from them, and they name its files.
 * A `checkpoints-deleted` event keeps when each was taken (epoch and time, nothing of its content).
 */
export async function deleteCheckpoints(
  db: Catalog,
  job: { cluster: string; jobId: string; node: string | null },
  nowIso: string,
): Promise<void> {
  const taken = await db.selectFrom('checkpoints').select(['epoch', 'at']).where('job_id', '=', job.jobId).execute();
  if (taken.length === 0) return;
  await db.deleteFrom('checkpoints').where('job_id', '=', job.jobId).execute();
  const message = `${taken.length} checkpoint${taken.length === 1 ? '' : 's'} of the job deleted at its end`;
  const checkpoints = taken.map((c) => ({ epoch: Number(c.epoch), at: c.at }));
  await addEvent(db, { ...job, kind: 'checkpoints-deleted', message, data: { checkpoints } }, nowIso);
}

/** A job row as it starts: backup, restore or verify. */
export interface JobStart {
  id: string;
  cluster: string;
  app: string;
  kind: 'backup' | 'restore' | 'verify' | 'retention';
  node: string;
  drive: string;
  requestedBy: string;
}

/**
 * Records a job as running with its start event, in one transaction. Idempotent: a retried
 * activity finds the row and leaves it (and adds no second event).
 */
export async function recordJobStart(db: Catalog, job: JobStart, event: EventInput, nowIso: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('jobs').select('id').where('id', '=', job.id).executeTakeFirst();
    if (existing) return;
    await trx
      .insertInto('jobs')
      .values({
        id: job.id,
        cluster: job.cluster,
        app: job.app,
        kind: job.kind,
        node: job.node,
        drive: job.drive,
        state: 'running',
        requested_by: job.requestedBy,
        started_at: nowIso,
        finished_at: null,
        files: null,
        bytes: null,
        location: null,
        error: null,
      })
      .execute();
    await addEvent(trx, event, nowIso);
  });
}

/** Records a backup job as started. */
export async function jobStarted(db: Catalog, job: BackupJobInput, nowIso: string): Promise<void> {
  await recordJobStart(
    db,
    {
      id: job.jobId,
      cluster: job.cluster,
      app: job.app.name,
      kind: 'backup',
      node: job.node,
      drive: job.drive.name,
      requestedBy: job.requestedBy,
    },
    {
      cluster: job.cluster,
      jobId: job.jobId,
      kind: 'job-started',
      node: job.node,
      message: `backup of ${job.app.name} started on ${job.node} to drive ${job.drive.name} (requested by ${job.requestedBy})`,
    },
    nowIso,
  );
}

/** A job's end as the catalog records it: the job's result (drive: the last attempt's) and its cluster. */
export type JobEnd = Omit<BackupJobResult, 'attempts'> & { cluster: string };

export async function jobFinished(db: Catalog, end: JobEnd, nowIso: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('jobs')
      .set({
        state: end.state,
        finished_at: nowIso,
        files: end.outcome?.files ?? null,
        bytes: end.outcome?.bytes ?? null,
        location: end.outcome ? `${end.outcome.drive}#${end.outcome.snapshotId}` : null,
        error: end.error ?? null,
      })
      .where('id', '=', end.jobId)
      .execute();
    await deleteCheckpoints(trx, { cluster: end.cluster, jobId: end.jobId, node: end.node }, nowIso);
    if (end.state === 'succeeded' && end.outcome) {
      await trx
        .insertInto('snapshots')
        .values({
          id: end.outcome.snapshotId,
          job_id: end.jobId,
          cluster: end.cluster,
          app: end.app,
          drive: end.drive,
          drive_path: end.outcome.drive,
          at: nowIso,
          files: end.outcome.files,
          bytes: end.outcome.bytes,
          new_bytes: end.outcome.newBytes,
          incomplete: end.outcome.incomplete ? 1 : 0,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
    const message =
      end.state === 'succeeded' && end.outcome
        ? `backup succeeded: ${end.outcome.files} files, ${end.outcome.bytes} bytes in ${end.outcome.durationMs} ms`
        : `backup ${end.state}${end.error ? `: ${end.error}` : ''}`;
    await addEvent(
      trx,
      { cluster: end.cluster, jobId: end.jobId, kind: `job-${end.state}`, node: end.node, message },
      nowIso,
    );
  });
}

export async function snapshotsOf(db: Catalog, app: string, limit = 20): Promise<SnapshotRow[]> {
  return db
    .selectFrom('snapshots')
    .selectAll()
    .where('app', '=', app)
    .where('forgotten_at', 'is', null)
    .orderBy('at', 'desc')
    .limit(limit)
    .execute();
}

export async function recentJobs(db: Catalog, limit = 10): Promise<JobRow[]> {
  return db.selectFrom('jobs').selectAll().orderBy('started_at', 'desc').limit(limit).execute();
}

export async function getJob(db: Catalog, jobId: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
}

export async function jobEvents(db: Catalog, jobId: string): Promise<JobEventRow[]> {
  return db.selectFrom('job_events').selectAll().where('job_id', '=', jobId).orderBy('id').execute();
}

export async function clusterEvents(db: Catalog, cluster: string, limit = 20): Promise<JobEventRow[]> {
  return db
    .selectFrom('job_events')
    .selectAll()
    .where('cluster', '=', cluster)
    .where('job_id', 'is', null)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
