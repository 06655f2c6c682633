/**
 * What the catalog says about a cluster's backups as a monitor needs it: each app's last
 * successful and last failed backup, how old the latest checkpoint of each running backup is, and
 * how each drive's latest verify ended. Every node reads the same rows, so every node (and
 * `baton check`) reports the same truth, before and after a restart.
 */
import type { Catalog } from './open';

export interface AppBackupTimes {
  app: string;
  /** ISO time the app's latest successful backup finished; null: never. */
  lastSuccess: string | null;
  /** ISO time the app's latest failed backup finished; null: never. */
  lastFailure: string | null;
}

/** Per app with any finished backup job in `cluster`: when the latest succeeded and the latest failed. */
export async function backupTimes(db: Catalog, cluster: string): Promise<AppBackupTimes[]> {
  const rows = await db
    .selectFrom('jobs')
    .select(['app', 'state'])
    .select((eb) => eb.fn.max('finished_at').as('last'))
    .where('cluster', '=', cluster)
    .where('kind', '=', 'backup')
    .where('state', 'in', ['succeeded', 'failed'])
    .groupBy(['app', 'state'])
    .execute();
  const byApp = new Map<string, AppBackupTimes>();
  for (const r of rows) {
    const entry = byApp.get(r.app) ?? { app: r.app, lastSuccess: null, lastFailure: null };
    if (r.state === 'succeeded') entry.lastSuccess = r.last;
    else entry.lastFailure = r.last;
    byApp.set(r.app, entry);
  }
  return [...byApp.values()].sort((a, b) => a.app.localeCompare(b.app));
}

export interface RunningBackup {
  jobId: string;
  app: string;
  startedAt: string;
  /** ISO time of the job's latest checkpoint; null: none yet. */
  lastCheckpoint: string | null;
}

/** The backups of `cluster` the catalog holds as running, with their latest checkpoint's time. */
export async function runningBackups(db: Catalog, cluster: string): Promise<RunningBackup[]> {
  const rows = await db
    .selectFrom('jobs')
    .leftJoin('checkpoints', 'checkpoints.job_id', 'jobs.id')
    .select(['jobs.id', 'jobs.app', 'jobs.started_at'])
    .select((eb) => eb.fn.max('checkpoints.at').as('last_checkpoint'))
    .where('jobs.cluster', '=', cluster)
    .where('jobs.kind', '=', 'backup')
    .where('jobs.state', '=', 'running')
    .groupBy(['jobs.id', 'jobs.app', 'jobs.started_at'])
    .execute();
  return rows.map((r) => ({ jobId: r.id, app: r.app, startedAt: r.started_at, lastCheckpoint: r.last_checkpoint }));
}

export interface DriveVerify {
  drive: string;
  state: 'succeeded' | 'failed';
  finishedAt: string;
  /** Errors the verify found; null when it failed without a count (the drive could not be read). */
  errors: number | null;
}

/** Per drive of `cluster` ever verified: how its latest finished (not cancelled) verify ended. */
export async function latestVerifies(db: Catalog, cluster: string): Promise<DriveVerify[]> {
  const rows = await db
    .selectFrom('jobs')
    .select(['id', 'drive', 'state', 'finished_at'])
    .where('cluster', '=', cluster)
    .where('kind', '=', 'verify')
    .where('state', 'in', ['succeeded', 'failed'])
    .orderBy('finished_at', 'desc')
    .execute();
  const latest = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (!latest.has(r.drive)) latest.set(r.drive, r);
  const result: DriveVerify[] = [];
  for (const r of latest.values()) {
    result.push({
      drive: r.drive,
      state: r.state as DriveVerify['state'],
      finishedAt: r.finished_at ?? '',
      errors: await verifyErrorCount(db, r.id),
    });
  }
  return result.sort((a, b) => a.drive.localeCompare(b.drive));
}

/** The error count a verify's end event carries (its VerifyOutcome), or null when it has none. */
async function verifyErrorCount(db: Catalog, jobId: string): Promise<number | null> {
  const event = await db
    .selectFrom('job_events')
    .select('data_json')
    .where('job_id', '=', jobId)
    .where('kind', 'in', ['verify-finished', 'verify-failed'])
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!event?.data_json) return null;
  const data = JSON.parse(event.data_json) as { errorCount?: unknown } | null;
  return typeof data?.errorCount === 'number' ? data.errorCount : null;
}
