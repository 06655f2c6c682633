/**
 * The line for a busy drive. A job whose attempt finds its drive leased to another running job
 * waits in line (drive_waiters, by when it first asked); once the drive is free it goes to the
 * first in line, and a job that asks later waits behind. A waiter that has not asked again within
 * WAITER_GONE_MS, or whose job is no longer running, is passed over: its workflow stopped waiting
 * (ended, terminated, moved to another drive), and the line must not stall behind it.
 */
import type { Catalog } from './open';

/** A waiter asks again at least this often (the job's own poll, DRIVE_WAIT_POLL, is a third of it). */
export const WAITER_GONE_MS = 30_000;

/** Puts the job in the drive's line, or keeps its place there; it leaves the lines of other drives. */
export async function joinLine(trx: Catalog, drive: string, jobId: string, nowIso: string): Promise<void> {
  await trx.deleteFrom('drive_waiters').where('job_id', '=', jobId).where('drive', '!=', drive).execute();
  await trx
    .insertInto('drive_waiters')
    .values({ drive, job_id: jobId, since: nowIso, seen_at: nowIso })
    .onConflict((oc) => oc.columns(['drive', 'job_id']).doUpdateSet({ seen_at: nowIso }))
    .execute();
}

/** The job first in the drive's line among those still waiting; undefined: nobody waits. */
export async function firstInLine(trx: Catalog, drive: string, nowIso: string): Promise<string | undefined> {
  const seenSince = new Date(Date.parse(nowIso) - WAITER_GONE_MS).toISOString();
  const first = await trx
    .selectFrom('drive_waiters')
    .innerJoin('jobs', 'jobs.id', 'drive_waiters.job_id')
    .select('drive_waiters.job_id as jobId')
    .where('drive_waiters.drive', '=', drive)
    .where('drive_waiters.seen_at', '>=', seenSince)
    .where('jobs.state', '=', 'running')
    .orderBy('drive_waiters.since')
    .orderBy('drive_waiters.job_id')
    .executeTakeFirst();
  return first?.jobId;
}

/** The job leaves every line it is in. */
export async function leaveLines(trx: Catalog, jobId: string): Promise<void> {
  await trx.deleteFrom('drive_waiters').where('job_id', '=', jobId).execute();
}
