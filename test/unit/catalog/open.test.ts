import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { migrate, openCatalog } from '../../../src/catalog/open';
import { loadPlanRows, savePlan } from '../../../src/catalog/plan';
import { describeCatalog } from '../../helpers/catalog';
import { testPlan } from '../../helpers/fixtures';
import { tempDir } from '../../helpers/temp';

describeCatalog('catalog open', (catalog) => {
  test('opening a catalog again finds what was written; migrating it again changes nothing', async () => {
    await savePlan(catalog.db(), testPlan(), 't1');
    const again = await openCatalog(catalog.url());
    try {
      await migrate(again);
      const rows = await loadPlanRows(again);
      assert.deepEqual(
        rows.nodes.map((n) => n.name),
        ['n1', 'n2'],
      );
      assert.deepEqual(
        rows.drives.map((d) => d.name),
        ['d1', 'd2'],
      );
      assert.deepEqual(
        rows.apps.map((a) => a.name),
        ['db'],
      );
    } finally {
      await again.destroy();
    }
  });
});

test('a SQLite catalog in a directory that does not exist yet is made with its directory', async () => {
  const file = join(tempDir('baton-cat-open-').path, 'not', 'yet', 'catalog.db');
  const db = await openCatalog(`sqlite:${file}`);
  try {
    assert.ok(existsSync(file));
    assert.deepEqual((await loadPlanRows(db)).nodes, []);
  } finally {
    await db.destroy();
  }
});
