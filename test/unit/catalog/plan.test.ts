import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPlanRows, savePlan } from '../../../src/catalog/plan';
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
});
