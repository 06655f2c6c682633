/**
 * Jobs whose workflow is gone: terminated, timed out or cancelled from outside Baton (the Web UI,
 * the temporal CLI), so their own code never recorded the end. The coordinator's reconcile asks
 * Temporal about every job the catalog holds running or holding a lease, and closes here the ones
 * Temporal says are over: the row ends, open attempts end, the drive lease is released, and an
 * event says who closed it and why.
 */
import type { JobState } from '../model/backup';
import type { ClosedJob } from '../model/coordinator';
import { addEvent, deleteCheckpoints } from './jobs';
import type { Catalog } from './open';

/** The jobs of `cluster` the catalog holds running, or that hold a drive lease. */
export async function liveJobIds(db: Catalog, cluster: string): Promise<string[]> {
  const running = await db
    .selectFrom('jobs')
    .select('id')
    .where('cluster', '=', cluster)
    .where('state', '=', 'running')
    .execute();
  const leased = await db
    .selectFrom('drive_leases')
    .innerJoin('jobs', 'jobs.id', 'drive_leases.job_id')
    .select('drive_leases.job_id as id')
    .where('jobs.cluster', '=', cluster)
    .execute();
  return [...new Set([...running, ...leased].map((r) => r.id))];
}

/** What Temporal says of a job's workflow that is no longer running. */
export interface DeadJob {
  cluster: string;
  jobId: string;
  /** Temporal's status name (TERMINATED, TIMED_OUT, CANCELLED, FAILED, COMPLETED) or NOT_FOUND. */
  status: string;
  /** Who noticed: the coordinator's node. */
  node: string | null;
}

/** How a row whose workflow ended as `status` without recording it ends in the catalog. */
export function endOf(status: string): { state: JobState; error: string } {
  const how: Record<string, string> = {
    TERMINATED: 'was terminated',
    TIMED_OUT: 'timed out',
    CANCELLED: 'was cancelled',
    NOT_FOUND: 'is not known to Temporal (never started, or removed)',
  };
  const said = how[status] ?? `ended (${status})`;
  return {
    state: status === 'CANCELLED' ? 'cancelled' : 'failed',
    error: `its workflow ${said} without recording its end; closed by the coordinator's reconcile`,
  };
}

/**
 * Closes a dead job: a running row ends as endOf(status) says, with its open attempts and an event
 * (`job-closed`); its leases are released either way. Returns how the job ended in the catalog.
 */
export async function closeDeadJob(db: Catalog, dead: DeadJob, nowIso: string): Promise<ClosedJob> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('jobs').select(['state', 'error']).where('id', '=', dead.jobId).executeTakeFirst();
    await trx.deleteFrom('drive_leases').where('job_id', '=', dead.jobId).execute();
    await deleteCheckpoints(trx, dead, nowIso);
    if (row && row.state !== 'running') {
      return { jobId: dead.jobId, state: row.state as JobState, error: row.error ?? '' };
    }
    const { state, error } = endOf(dead.status);
    if (row) {
      await trx.updateTable('jobs').set({ state, error, finished_at: nowIso }).where('id', '=', dead.jobId).execute();
      await trx
        .updateTable('attempts')
        .set({ ended_at: nowIso, outcome: state })
        .where('job_id', '=', dead.jobId)
        .where('ended_at', 'is', null)
        .execute();
    }
    await addEvent(
      trx,
      {
        cluster: dead.cluster,
        jobId: dead.jobId,
        kind: 'job-closed',
        node: dead.node,
        message: `job ${dead.jobId} ${state}: ${error}; its drive lease is released`,
        data: { status: dead.status },
      },
      nowIso,
    );
    return { jobId: dead.jobId, state, error };
  });
}
