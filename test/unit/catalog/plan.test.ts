import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPlanRows, savePlan } from '../../../src/catalog/plan';
import { restoreTestsConfigured } from '../../../src/catalog/restore-tests';
import { describeCatalog } from '../../helpers/catalog';
import { testPlan } from '../../helpers/fixtures';

const plan = testPlan({
  d2Kind: 'tape',
  app: { paths: ['/data/db', '/data/wal'], restart: 'checkpoint', maxCheckpointAgeSeconds: 60 },
});

describeCatalog('catalog plan rows', (catalog) => {
  test('the plan is saved whole and replaced whole', async () => {
    const db = catalog.db();
    await savePlan(db, plan, 't1');
    let rows = await loadPlanRows(db);
    assert.deepEqual(
      rows.nodes.map((n) => n.name),
      ['n1', 'n2'],
    );
    assert.deepEqual(JSON.parse(rows.apps[0].paths_json), ['/data/db', '/data/wal']);
    assert.equal(rows.drives[1].kind, 'tape');
    await savePlan(db, { ...plan, nodes: [{ name: 'n1' }], drives: [plan.drives[0]] }, 't2');
    rows = await loadPlanRows(db);
    assert.deepEqual(
      rows.nodes.map((n) => n.name),
      ['n1'],
    );
    assert.equal(rows.drives.length, 1);
  });

  test("an app's restore test is dated from the plan that first gave it one, until a plan drops it", async () => {
    const db = catalog.db();
    const tested = (p: typeof plan) => ({
      ...p,
      apps: p.apps.map((a) => ({
        ...a,
        restoreTest: { schedule: { everySeconds: 86400, catchupWindowSeconds: 3600 }, sample: null, scratch: null },
      })),
    });
    const since = async () => (await restoreTestsConfigured(db)).map((r) => [r.app, r.since]);
    await savePlan(db, plan, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(await since(), []);
    await savePlan(db, tested(plan), '2026-01-02T00:00:00.000Z');
    assert.deepEqual(await since(), [['db', '2026-01-02T00:00:00.000Z']]);
    // another plan change keeps the date: the test has been due since then
    await savePlan(db, tested({ ...plan, nodes: [{ name: 'n1' }] }), '2026-01-03T00:00:00.000Z');
    assert.deepEqual(await since(), [['db', '2026-01-02T00:00:00.000Z']]);
    await savePlan(db, plan, '2026-01-04T00:00:00.000Z');
    assert.deepEqual(await since(), []);
    await savePlan(db, tested(plan), '2026-01-05T00:00:00.000Z');
    assert.deepEqual(await since(), [['db', '2026-01-05T00:00:00.000Z']]);
  });
});
