/**
 * Snapshots as retention and `baton snapshots` see them: an app's live snapshots across drives (with
 * the node that made each), the snapshots running restores read (retention never forgets those),
 * and marking snapshots forgotten once their drive no longer holds them.
 */
import type { Catalog } from './open';
import type { SnapshotRow } from './schema';

/** A live snapshot with the node whose backup committed it. */
export type AppSnapshot = SnapshotRow & { node: string | null };

/** An app's snapshots that are still on their drives, newest first. */
export async function appSnapshots(db: Catalog, app: string): Promise<AppSnapshot[]> {
  return db
    .selectFrom('snapshots')
    .leftJoin('jobs', 'jobs.id', 'snapshots.job_id')
    .selectAll('snapshots')
    .select('jobs.node as node')
    .where('snapshots.app', '=', app)
    .where('snapshots.forgotten_at', 'is', null)
    .orderBy('snapshots.at', 'desc')
    .orderBy('snapshots.id', 'desc')
    .execute();
}

/** IDs of the live snapshots of `app` on drive `drive` (by name). */
export async function liveSnapshotIds(db: Catalog, app: string, drive: string): Promise<string[]> {
  const rows = await db
    .selectFrom('snapshots')
    .select('id')
    .where('app', '=', app)
    .where('drive', '=', drive)
    .where('forgotten_at', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}

/** Snapshot IDs that running restores read (from their `restore-started` events). */
export async function snapshotsInRestore(db: Catalog): Promise<Set<string>> {
  const rows = await db
    .selectFrom('job_events')
    .innerJoin('jobs', 'jobs.id', 'job_events.job_id')
    .select('job_events.data_json')
    .where('jobs.kind', '=', 'restore')
    .where('jobs.state', '=', 'running')
    .where('job_events.kind', '=', 'restore-started')
    .execute();
  const ids = new Set<string>();
  for (const r of rows) {
    const id = r.data_json ? (JSON.parse(r.data_json) as { snapshotId?: unknown }).snapshotId : undefined;
    if (typeof id === 'string') ids.add(id);
  }
  return ids;
}

/** Marks the live snapshots among `ids` forgotten by `jobId`; returns how many it marked. */
export async function markForgotten(db: Catalog, ids: string[], jobId: string, nowIso: string): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await db
    .updateTable('snapshots')
    .set({ forgotten_at: nowIso, forgotten_by: jobId })
    .where('id', 'in', ids)
    .where('forgotten_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
