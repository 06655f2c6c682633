/**
 * Which attempt of a job committed, decided by the catalog so that a committed attempt wins and
 * no two do. The backup service records its commit (recordCommit) after its snapshot is durable
 * on its drive and before its activity returns, fenced by its epoch; a job whose attempt ended
 * `moved` settles it (settleMovedAttempt): in one transaction it either finds that commit or
 * moves the job's epoch on, so a commit that has not happened yet is refused. The two take the
 * job's row lock first, so on PostgreSQL as on SQLite one of them sees the other.
 * docs/restart-policy.md ("A committed attempt wins").
 */
import type { BackupOutcome } from '../model/backup';
import { addEvent } from './jobs';
import type { Catalog } from './open';
import { StaleEpochError, fenceEpoch } from './attempts';

export interface AttemptCommit {
  cluster: string;
  jobId: string;
  number: number;
  epoch: number;
  node: string;
  outcome: BackupOutcome;
}

/** Takes the job's row lock (a no-op update) and returns its epoch; -1 for a job not in the catalog. */
async function lockJob(trx: Catalog, jobId: string): Promise<number> {
  await trx
    .updateTable('jobs')
    .set((eb) => ({ epoch: eb.ref('epoch') }))
    .where('id', '=', jobId)
    .execute();
  const job = await trx.selectFrom('jobs').select('epoch').where('id', '=', jobId).executeTakeFirst();
  return job?.epoch ?? -1;
}

/**
 * Records that the attempt with `c.epoch` committed its snapshot (an `attempt-committed` event that
 * carries the outcome). Throws StaleEpochError when a newer attempt or a settle fenced it off: the
 * snapshot is then not the job's, and the caller takes it back.
 */
export async function recordCommit(db: Catalog, c: AttemptCommit, nowIso: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const current = await lockJob(trx, c.jobId);
    if (current !== c.epoch) throw new StaleEpochError(c.jobId, c.epoch, current);
    await addEvent(
      trx,
      {
        cluster: c.cluster,
        jobId: c.jobId,
        kind: 'attempt-committed',
        node: c.node,
        message: `attempt ${c.number} (epoch ${c.epoch}) committed snapshot ${c.outcome.snapshotId} to ${c.outcome.drive}`,
        data: { number: c.number, epoch: c.epoch, outcome: c.outcome },
      },
      nowIso,
    );
  });
}

/** The outcome the attempt with `epoch` recorded as committed, if it did. */
async function committedOutcome(trx: Catalog, jobId: string, epoch: number): Promise<BackupOutcome | null> {
  const rows = await trx
    .selectFrom('job_events')
    .select('data_json')
    .where('job_id', '=', jobId)
    .where('kind', '=', 'attempt-committed')
    .execute();
  for (const row of rows) {
    const data = JSON.parse(row.data_json ?? '{}') as { epoch?: number; outcome?: BackupOutcome };
    if (data.epoch === epoch && data.outcome) return data.outcome;
  }
  return null;
}

/**
 * After the job saw its attempt with `epoch` end `moved`: fences that attempt off (the job's epoch
 * moves past it, so its commit, still to come, is refused), unless it committed already; then the
 * committed outcome is returned and the epoch left as it is. Fence and check in one transaction:
 * no window in which the attempt commits unseen.
 */
export async function settleMovedAttempt(
  db: Catalog,
  s: { cluster: string; jobId: string; number: number; epoch: number },
  nowIso: string,
): Promise<BackupOutcome | null> {
  return db.transaction().execute(async (trx) => {
    await lockJob(trx, s.jobId);
    const committed = await committedOutcome(trx, s.jobId, s.epoch);
    if (committed) return committed;
    // fenced already (a lease takeover, an earlier settle): nothing left to do
    if (!(await fenceEpoch(trx, s.jobId, s.epoch))) return null;
    await addEvent(
      trx,
      {
        cluster: s.cluster,
        jobId: s.jobId,
        kind: 'attempt-fenced',
        node: null,
        message: `attempt ${s.number} (epoch ${s.epoch}) ended moved without a commit; its epoch is fenced off`,
        data: { number: s.number, epoch: s.epoch, current: s.epoch + 1 },
      },
      nowIso,
    );
    return null;
  });
}
