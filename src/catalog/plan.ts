/** The cluster plan in the catalog: nodes, apps and drives, written whole when the plan changes. */
import type { ClusterPlan } from '../model/plan';
import type { Catalog } from './open';
import type { AppsTable, DrivesTable, NodesTable } from './schema';

/**
 * Makes the nodes, apps and drives tables equal to `plan`, in one transaction. An app's
 * `restore_test_since` carries over while it keeps a restore test (now when it just got one).
 */
export async function savePlan(db: Catalog, plan: ClusterPlan, nowIso: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('apps').select(['name', 'restore_test_since']).execute();
    const since = new Map(before.map((a) => [a.name, a.restore_test_since]));
    await trx.deleteFrom('nodes').execute();
    await trx.deleteFrom('apps').execute();
    await trx.deleteFrom('drives').execute();
    if (plan.nodes.length > 0) {
      await trx
        .insertInto('nodes')
        .values(plan.nodes.map((n) => ({ name: n.name, updated_at: nowIso })))
        .execute();
    }
    if (plan.apps.length > 0) {
      await trx
        .insertInto('apps')
        .values(
          plan.apps.map((a) => ({
            name: a.name,
            paths_json: JSON.stringify(a.paths),
            restart: a.restart,
            max_checkpoint_age_s: a.maxCheckpointAgeSeconds,
            updated_at: nowIso,
            restore_test_since: a.restoreTest ? (since.get(a.name) ?? nowIso) : null,
          })),
        )
        .execute();
    }
    if (plan.drives.length > 0) {
      await trx
        .insertInto('drives')
        .values(
          plan.drives.map((d) => ({ name: d.name, node: d.node, kind: d.kind, path: d.path, updated_at: nowIso })),
        )
        .execute();
    }
  });
}

export interface PlanRows {
  nodes: NodesTable[];
  apps: AppsTable[];
  drives: DrivesTable[];
}

export async function loadPlanRows(db: Catalog): Promise<PlanRows> {
  const [nodes, apps, drives] = await Promise.all([
    db.selectFrom('nodes').selectAll().orderBy('name').execute(),
    db.selectFrom('apps').selectAll().orderBy('name').execute(),
    db.selectFrom('drives').selectAll().orderBy('name').execute(),
  ]);
  return { nodes, apps, drives };
}
