/**
 * Restore-test runs in the catalog (table restore_tests, docs/catalog.md): a row when the node
 * starts, its end (state, counts, the first differing file, the message), the recent runs for
 * `baton restore-tests`, and each app's latest success for the metrics.
 */
import type { Catalog } from './open';
import type { RestoreTestRow } from './schema';

export interface RestoreTestStart {
  id: string;
  cluster: string;
  app: string;
  node: string;
  drive: string;
  snapshotId: string;
  requestedBy: string;
  /** the sample as JSON; null: the whole snapshot */
  sample: string | null;
  seed: number;
  message: string;
}

export interface RestoreTestEnd {
  id: string;
  state: 'succeeded' | 'failed' | 'cancelled';
  files: number | null;
  bytes: number | null;
  path: string | null;
  message: string;
}

/** Records a run as running. Idempotent: a retried activity finds the row and leaves it. */
export async function restoreTestStarted(db: Catalog, run: RestoreTestStart, nowIso: string): Promise<void> {
  const there = await db.selectFrom('restore_tests').select('id').where('id', '=', run.id).executeTakeFirst();
  if (there) return;
  await db
    .insertInto('restore_tests')
    .values({
      id: run.id,
      cluster: run.cluster,
      app: run.app,
      node: run.node,
      drive: run.drive,
      snapshot_id: run.snapshotId,
      requested_by: run.requestedBy,
      sample: run.sample,
      seed: run.seed,
      started_at: nowIso,
      finished_at: null,
      state: 'running',
      files: null,
      bytes: null,
      path: null,
      message: run.message,
    })
    .execute();
}

/** Records a run's end; false when it had ended already (a retried activity), so nothing changed. */
export async function restoreTestFinished(db: Catalog, end: RestoreTestEnd, nowIso: string): Promise<boolean> {
  const result = await db
    .updateTable('restore_tests')
    .set({
      state: end.state,
      finished_at: nowIso,
      files: end.files,
      bytes: end.bytes,
      path: end.path,
      message: end.message,
    })
    .where('id', '=', end.id)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The cluster's latest runs, newest first, of one app or all. */
export async function recentRestoreTests(
  db: Catalog,
  cluster: string,
  opts: { app?: string; limit?: number } = {},
): Promise<RestoreTestRow[]> {
  let q = db.selectFrom('restore_tests').selectAll().where('cluster', '=', cluster);
  if (opts.app !== undefined) q = q.where('app', '=', opts.app);
  const rows = await q
    .orderBy('started_at', 'desc')
    .limit(opts.limit ?? 20)
    .execute();
  return rows.map((r) => ({
    ...r,
    seed: Number(r.seed),
    files: r.files === null ? null : Number(r.files),
    bytes: r.bytes === null ? null : Number(r.bytes),
  }));
}

/** When each app of the cluster last passed a restore test (its run's end). */
/** Apps with a restore test in the saved plan, and since when they have had one. */
export async function restoreTestsConfigured(db: Catalog): Promise<{ app: string; since: string }[]> {
  const rows = await db
    .selectFrom('apps')
    .select(['name', 'restore_test_since'])
    .where('restore_test_since', 'is not', null)
    .execute();
  return rows.flatMap((r) => (r.restore_test_since ? [{ app: r.name, since: r.restore_test_since }] : []));
}

export async function lastRestoreTestSuccesses(db: Catalog, cluster: string): Promise<{ app: string; at: string }[]> {
  const rows = await db
    .selectFrom('restore_tests')
    .select(['app', (eb) => eb.fn.max('finished_at').as('at')])
    .where('cluster', '=', cluster)
    .where('state', '=', 'succeeded')
    .groupBy('app')
    .execute();
  return rows.flatMap((r) => (r.at ? [{ app: r.app, at: r.at }] : []));
}
