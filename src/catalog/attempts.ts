/**
 * Attempts, fencing epochs, checkpoints and drive leases. The catalog is the fencing authority:
 * every attempt gets the next epoch of its job, and a write or commit carrying an older epoch is
 * refused with StaleEpochError, so at most one attempt of a job writes at a time.
 *
 * A drive is leased to one job at a time. A lease granted with an expiry lapses unless its attempt
 * renews it (renewLease, and every checkpoint); another job's attempt takes over a lapsed lease at
 * once, and bumps the holder's epoch, so the holder, alive after all, is fenced at its next write.
 */
import type { Catalog } from './open';
import { addEvent } from './jobs';
import { firstInLine, joinLine, leaveLines } from './drive-line';
import type { AttemptRow, CheckpointRow, DriveLeaseRow } from './schema';

export class StaleEpochError extends Error {
  constructor(
    readonly jobId: string,
    readonly epoch: number,
    readonly current: number,
  ) {
    super(
      `attempt with epoch ${epoch} of job ${jobId} is fenced off: the job's current epoch is ${current}, ` +
        'so a newer attempt owns it; this attempt stops without writing',
    );
    this.name = 'StaleEpochError';
  }
}

export class DriveBusyError extends Error {
  constructor(
    readonly drive: string,
    readonly holder: string,
  ) {
    super(`drive ${drive} is leased to job ${holder}; this attempt waits until that job releases it`);
    this.name = 'DriveBusyError';
  }
}

export type RestartKind = 'checkpoint' | 'fresh';

export interface AttemptStart {
  cluster: string;
  jobId: string;
  number: number;
  node: string;
  drive: string;
  restart?: { kind: RestartKind; reason: string };
  resumedFrom?: unknown;
  /** how long the lease lasts unless renewed; absent: it never lapses (it waits on the holder's state) */
  leaseMs?: number;
}

/** A lease lasts this many heartbeat timeouts unless its attempt renews it. */
export const LEASE_HEARTBEATS = 3;

function expiry(nowIso: string, leaseMs: number | undefined): string | null {
  return leaseMs === undefined ? null : new Date(Date.parse(nowIso) + leaseMs).toISOString();
}

/** A drive's lease as a job asking for it finds it. */
type LeaseState =
  | { kind: 'own' }
  | { kind: 'free' }
  | { kind: 'busy'; holder: string }
  | { kind: 'lapsed'; lease: DriveLeaseRow; holderEpoch: number };

/**
 * Whether the drive is `jobId`'s already (its lease, kept between its attempts), free (no lease, or
 * one held by a job no longer running), busy (another running job holds a lease that has not
 * lapsed) or lapsed.
 */
async function leaseState(trx: Catalog, drive: string, jobId: string, nowIso: string): Promise<LeaseState> {
  const lease = await trx.selectFrom('drive_leases').selectAll().where('drive', '=', drive).executeTakeFirst();
  if (lease?.job_id === jobId) return { kind: 'own' };
  if (!lease) return { kind: 'free' };
  const holder = await trx
    .selectFrom('jobs')
    .select(['state', 'epoch'])
    .where('id', '=', lease.job_id)
    .executeTakeFirst();
  if (holder?.state !== 'running') return { kind: 'free' };
  if (lease.expires_at === null || lease.expires_at > nowIso) return { kind: 'busy', holder: lease.job_id };
  return { kind: 'lapsed', lease, holderEpoch: holder.epoch };
}

/** Takes a lapsed lease over: the holder's epoch moves on (fencing its attempt) and an event says so. */
async function takeOver(
  trx: Catalog,
  a: AttemptStart,
  { lease, holderEpoch }: Extract<LeaseState, { kind: 'lapsed' }>,
  nowIso: string,
): Promise<void> {
  await fenceEpoch(trx, lease.job_id, holderEpoch);
  await addEvent(
    trx,
    {
      cluster: a.cluster,
      jobId: lease.job_id,
      kind: 'lease-expired',
      node: lease.node,
      message:
        `lease of drive ${a.drive} held by job ${lease.job_id} (epoch ${lease.epoch} on ${lease.node}) expired at ` +
        `${lease.expires_at} unrenewed; job ${a.jobId} took the drive over, and the holder's epoch ${lease.epoch} is fenced`,
      data: { drive: a.drive, holderEpoch: lease.epoch, expiredAt: lease.expires_at, takenBy: a.jobId },
    },
    nowIso,
  );
}

/** The epoch of attempt `number` of the job if it began already (a retried call). */
async function begunEpoch(trx: Catalog, a: AttemptStart): Promise<number | undefined> {
  const existing = await trx
    .selectFrom('attempts')
    .select('epoch')
    .where('job_id', '=', a.jobId)
    .where('number', '=', a.number)
    .executeTakeFirst();
  return existing?.epoch;
}

/**
 * Starts attempt `number` of a job: issues the job's next epoch (past every earlier attempt's), records the attempt, and leases
 * the drive to the job. Idempotent for a retried call: the same attempt gets the same epoch.
 * Throws DriveBusyError while another running job holds the drive; a lapsed lease is taken over.
 * Jobs behind the patch `job-waits-in-line-for-its-drive` call beginAttemptInLine instead.
 */
export async function beginAttempt(db: Catalog, a: AttemptStart, nowIso: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const begun = await begunEpoch(trx, a);
    if (begun !== undefined) return begun;
    const lease = await leaseState(trx, a.drive, a.jobId, nowIso);
    if (lease.kind === 'busy') throw new DriveBusyError(a.drive, lease.holder);
    if (lease.kind === 'lapsed') await takeOver(trx, a, lease, nowIso);
    return grant(trx, a, nowIso);
  });
}

/**
 * What beginAttemptInLine did: began the attempt, or put the job in the drive's line. Either way
 * `wake` names the jobs first in line for the drives the job let go of (absent: none; an older
 * build's answer has none).
 */
export type AttemptBegun = ({ epoch: number } | { waitingFor: string; drive: string }) & { wake?: string[] };

/**
 * As beginAttempt, but a busy drive puts the job in its line (drive-line.ts) instead of throwing,
 * and a free one goes to the first job in line: a job that asks while others wait, waits behind
 * them. `waitingFor` names the job that holds the drive, or the one first in line. A job asking for
 * a drive lets go of any other drive it leases (its app moved; its earlier attempt has ended) at
 * once, waiting or not: two jobs whose apps swapped nodes would otherwise each hold the drive the
 * other waits for until a lease lapsed.
 */
export async function beginAttemptInLine(db: Catalog, a: AttemptStart, nowIso: string): Promise<AttemptBegun> {
  return db.transaction().execute(async (trx): Promise<AttemptBegun> => {
    const begun = await begunEpoch(trx, a);
    if (begun !== undefined) return { epoch: begun };
    const lease = await leaseState(trx, a.drive, a.jobId, nowIso);
    // a job that holds the drive (between its attempts) keeps it, whoever waits
    const first =
      lease.kind === 'own' ? a.jobId : lease.kind === 'busy' ? lease.holder : await firstInLine(trx, a.drive, nowIso);
    const wake = await releaseOtherDrives(trx, a.jobId, a.drive, nowIso);
    if (first !== undefined && first !== a.jobId) {
      await joinLine(trx, a.drive, a.jobId, nowIso);
      return { waitingFor: first, drive: a.drive, wake };
    }
    if (lease.kind === 'lapsed') await takeOver(trx, a, lease, nowIso);
    await leaveLines(trx, a.jobId);
    return { epoch: await grant(trx, a, nowIso), wake };
  });
}

/** The job's leases on drives other than `keep` go; returns the first in line for each (in `trx`). */
async function releaseOtherDrives(trx: Catalog, jobId: string, keep: string, nowIso: string): Promise<string[]> {
  const held = await trx
    .selectFrom('drive_leases')
    .select('drive')
    .where('job_id', '=', jobId)
    .where('drive', '!=', keep)
    .execute();
  if (held.length === 0) return [];
  await trx.deleteFrom('drive_leases').where('job_id', '=', jobId).where('drive', '!=', keep).execute();
  return nextInLines(
    trx,
    held.map((r) => r.drive),
    jobId,
    nowIso,
  );
}

/** For each drive no other running job holds, the job first in its line (in `trx`). */
async function nextInLines(trx: Catalog, drives: string[], jobId: string, nowIso: string): Promise<string[]> {
  const next: string[] = [];
  for (const drive of new Set(drives)) {
    if ((await leaseState(trx, drive, jobId, nowIso)).kind === 'busy') continue;
    const first = await firstInLine(trx, drive, nowIso);
    if (first !== undefined) next.push(first);
  }
  return next;
}

/** Issues the attempt's epoch, records it, and leases the drive to the job (in `trx`). */
async function grant(trx: Catalog, a: AttemptStart, nowIso: string): Promise<number> {
  const job = await trx.selectFrom('jobs').select('epoch').where('id', '=', a.jobId).executeTakeFirstOrThrow();
  const last = await trx
    .selectFrom('attempts')
    .select((eb) => eb.fn.max('epoch').as('epoch'))
    .where('job_id', '=', a.jobId)
    .executeTakeFirst();
  // past every epoch an attempt held; a job epoch already moved on without an attempt (a fence:
  // settleMovedAttempt, a lease takeover) is taken as it is
  const epoch = Math.max(job.epoch, Number(last?.epoch ?? 0) + 1);
  await trx.updateTable('jobs').set({ epoch, node: a.node, drive: a.drive }).where('id', '=', a.jobId).execute();
  await trx
    .insertInto('attempts')
    .values({
      job_id: a.jobId,
      number: a.number,
      epoch,
      node: a.node,
      drive: a.drive,
      started_at: nowIso,
      ended_at: null,
      outcome: null,
      restart_kind: a.restart?.kind ?? null,
      restart_reason: a.restart?.reason ?? null,
      resumed_from_json: a.resumedFrom === undefined ? null : JSON.stringify(a.resumedFrom),
    })
    .execute();
  await trx.deleteFrom('drive_leases').where('job_id', '=', a.jobId).execute();
  await trx.deleteFrom('drive_leases').where('drive', '=', a.drive).execute();
  await trx
    .insertInto('drive_leases')
    .values({
      drive: a.drive,
      job_id: a.jobId,
      epoch,
      node: a.node,
      acquired_at: nowIso,
      expires_at: expiry(nowIso, a.leaseMs),
    })
    .execute();
  const how = a.restart ? `${a.restart.kind} restart: ${a.restart.reason}` : 'first attempt';
  await addEvent(
    trx,
    {
      cluster: a.cluster,
      jobId: a.jobId,
      kind: 'attempt-started',
      node: a.node,
      message: `attempt ${a.number} (epoch ${epoch}) on ${a.node} to drive ${a.drive}, ${how}`,
      data: { number: a.number, epoch, restart: a.restart ?? null },
    },
    nowIso,
  );
  return epoch;
}

/**
 * Renews the drive lease the job's attempt with `epoch` holds until now + leaseMs. Returns false
 * when that attempt holds none (taken over after it lapsed, or released).
 */
export async function renewLease(
  db: Catalog,
  r: { jobId: string; epoch: number; leaseMs: number },
  nowIso: string,
): Promise<boolean> {
  const row = await db
    .updateTable('drive_leases')
    .set({ expires_at: expiry(nowIso, r.leaseMs) })
    .where('job_id', '=', r.jobId)
    .where('epoch', '=', r.epoch)
    .executeTakeFirst();
  return Number(row.numUpdatedRows) > 0;
}

export async function endAttempt(
  db: Catalog,
  e: { cluster: string; jobId: string; number: number; outcome: string; detail?: string },
  nowIso: string,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('attempts')
      .set({ ended_at: nowIso, outcome: e.outcome })
      .where('job_id', '=', e.jobId)
      .where('number', '=', e.number)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    if (Number(row.numUpdatedRows) === 0) return false;
    const attempt = await trx
      .selectFrom('attempts')
      .select(['node', 'epoch'])
      .where('job_id', '=', e.jobId)
      .where('number', '=', e.number)
      .executeTakeFirstOrThrow();
    await addEvent(
      trx,
      {
        cluster: e.cluster,
        jobId: e.jobId,
        kind: 'attempt-ended',
        node: attempt.node,
        message: `attempt ${e.number} (epoch ${attempt.epoch}) ${e.outcome}${e.detail ? `: ${e.detail}` : ''}`,
        data: { number: e.number, outcome: e.outcome },
      },
      nowIso,
    );
    return true;
  });
}

/**
 * Fences off the attempt holding `epoch`: moves the job's epoch one past it, if it is still the
 * job's current epoch (compare and set, in one statement). Returns true when this call moved it,
 * false when it had moved on already (another fence, a newer attempt) or the job is gone: either
 * way `epoch` is stale from here on. The one place an epoch moves without a new attempt (the lease
 * takeover in takeDrive, settleMovedAttempt in attempt-commits.ts); a new attempt's epoch is
 * beginAttempt's.
 */
export async function fenceEpoch(trx: Catalog, jobId: string, epoch: number): Promise<boolean> {
  const result = await trx
    .updateTable('jobs')
    .set({ epoch: epoch + 1 })
    .where('id', '=', jobId)
    .where('epoch', '=', epoch)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Throws StaleEpochError unless `epoch` is the job's current one. */
export async function checkEpoch(db: Catalog, jobId: string, epoch: number): Promise<void> {
  const job = await db.selectFrom('jobs').select('epoch').where('id', '=', jobId).executeTakeFirst();
  const current = job?.epoch ?? -1;
  if (current !== epoch) throw new StaleEpochError(jobId, epoch, current);
}

/** A checkpoint as the catalog keeps it: sealed by the engine with its drive's key (checkpoint-seal.ts). */
export interface StoredCheckpoint {
  driveId: string;
  drivePath: string;
  seal: string;
  sealed: string;
}

export interface CheckpointInput {
  jobId: string;
  epoch: number;
  node: string;
  files: number;
  bytes: number;
  /** renews the attempt's drive lease for this long (renewLease) */
  leaseMs?: number;
  /** Seals the checkpoint as number `seq` of the job (the sequence number is associated data). */
  seal: (seq: number) => StoredCheckpoint;
}

/**
 * Saves a checkpoint of the job's current attempt. Fenced: a stale epoch throws. Only forward: a
 * checkpoint behind the latest one (fewer files or bytes) is ignored and false returned.
 */
export async function saveCheckpoint(db: Catalog, c: CheckpointInput, nowIso: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await checkEpoch(trx, c.jobId, c.epoch);
    // a late checkpoint of a job that ended (its attempt not yet stopped) is not kept
    const job = await trx.selectFrom('jobs').select('state').where('id', '=', c.jobId).executeTakeFirst();
    if (job?.state !== 'running') return false;
    const last = await trx
      .selectFrom('checkpoints')
      .select(['seq', 'files', 'bytes'])
      .where('job_id', '=', c.jobId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last && (c.files < Number(last.files) || c.bytes < Number(last.bytes))) return false;
    const seq = (last?.seq ?? 0) + 1;
    const stored = c.seal(seq);
    if (c.leaseMs !== undefined) await renewLease(trx, { jobId: c.jobId, epoch: c.epoch, leaseMs: c.leaseMs }, nowIso);
    await trx
      .insertInto('checkpoints')
      .values({
        job_id: c.jobId,
        epoch: c.epoch,
        seq,
        at: nowIso,
        node: c.node,
        files: c.files,
        bytes: c.bytes,
        data_json: '',
        drive_id: stored.driveId,
        drive_path: stored.drivePath,
        seal: stored.seal,
        sealed: stored.sealed,
      })
      .execute();
    return true;
  });
}

export async function latestCheckpoint(db: Catalog, jobId: string): Promise<CheckpointRow | undefined> {
  return db
    .selectFrom('checkpoints')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Checkpoint `seq` of a job as stored, sealed; one written before catalog v5 (in clear) is refused. */
export async function checkpointData(db: Catalog, jobId: string, seq: number): Promise<StoredCheckpoint> {
  const row = await db
    .selectFrom('checkpoints')
    .select(['drive_id', 'drive_path', 'seal', 'sealed'])
    .where('job_id', '=', jobId)
    .where('seq', '=', seq)
    .executeTakeFirst();
  if (!row) throw new Error(`checkpoint ${seq} of job ${jobId} is not in the catalog; restart the job fresh`);
  if (row.drive_id === null || row.drive_path === null || row.seal === null || row.sealed === null) {
    throw new Error(
      `checkpoint ${seq} of job ${jobId} was stored unsealed by an older Baton and is not trusted; restart the job fresh`,
    );
  }
  return { driveId: row.drive_id, drivePath: row.drive_path, seal: row.seal, sealed: row.sealed };
}

export async function attemptsOf(db: Catalog, jobId: string): Promise<AttemptRow[]> {
  return db.selectFrom('attempts').selectAll().where('job_id', '=', jobId).orderBy('number').execute();
}

/**
 * The job ended: releases its drive leases and takes it out of every line. Returns the jobs to wake
 * (drive-line.ts): for each drive it released, or whose line it left while that drive is free, the
 * job first in that drive's line.
 */
export async function releaseLeases(db: Catalog, jobId: string, nowIso: string): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const held = await trx.selectFrom('drive_leases').select('drive').where('job_id', '=', jobId).execute();
    const lines = await trx.selectFrom('drive_waiters').select('drive').where('job_id', '=', jobId).execute();
    await trx.deleteFrom('drive_leases').where('job_id', '=', jobId).execute();
    await leaveLines(trx, jobId);
    return nextInLines(
      trx,
      [...held, ...lines].map((r) => r.drive),
      jobId,
      nowIso,
    );
  });
}
