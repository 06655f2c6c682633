/**
 * Dispatch latency without the waits for a busy drive. A drive takes one backup at a time (its
 * lease), and after a failover a node's drive serves twice the apps, so a request for an app whose
 * drive another job holds waits for that job by design. What Baton adds is the time from the later
 * of the request and that drive's release to the attempt running.
 */
import type { Catalog } from '../../src/catalog/open';

export interface DriveUse {
  jobId: string;
  drive: string;
  /** When the job's first attempt started, ms. */
  startedMs: number;
  /** When the job ended (its lease released), ms; null while it runs. */
  endedMs: number | null;
}

/** A request and when its job's first attempt ran, ms. */
export interface Dispatched {
  jobId: string;
  requestedMs: number;
  runningMs: number;
}

/** For each dispatched job: running - max(requested, the end of every job that held its drive meanwhile). */
export function fromDriveFree(dispatched: Dispatched[], uses: DriveUse[]): { ms: number[]; waited: number } {
  const byDrive = new Map<string, DriveUse[]>();
  const driveOf = new Map<string, string>();
  for (const u of uses) {
    byDrive.set(u.drive, [...(byDrive.get(u.drive) ?? []), u]);
    driveOf.set(u.jobId, u.drive);
  }
  let waited = 0;
  const ms = dispatched.flatMap((d) => {
    const drive = driveOf.get(d.jobId);
    if (drive === undefined) return [];
    const holders = (byDrive.get(drive) ?? []).filter(
      (u) => u.jobId !== d.jobId && u.startedMs < d.runningMs && (u.endedMs ?? d.runningMs) > d.requestedMs,
    );
    if (holders.length > 0) waited++;
    const free = Math.max(d.requestedMs, ...holders.map((u) => u.endedMs ?? d.runningMs));
    return [d.runningMs - free];
  });
  return { ms, waited };
}

/** Every job's first attempt's drive and start, and its end, from the catalog. */
export async function driveUses(catalog: Catalog): Promise<DriveUse[]> {
  const rows = await catalog
    .selectFrom('attempts')
    .innerJoin('jobs', 'jobs.id', 'attempts.job_id')
    .select([
      'attempts.job_id as jobId',
      'attempts.drive as drive',
      'attempts.started_at as started',
      'jobs.finished_at as ended',
    ])
    .where('attempts.number', '=', 1)
    .execute();
  return rows.map((r) => ({
    jobId: r.jobId,
    drive: r.drive,
    startedMs: Date.parse(String(r.started)),
    endedMs: r.ended ? Date.parse(String(r.ended)) : null,
  }));
}
