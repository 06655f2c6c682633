import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  lastRestoreTestSuccesses,
  recentRestoreTests,
  restoreTestFinished,
  restoreTestStarted,
  type RestoreTestStart,
} from '../../../src/catalog/restore-tests';
import { describeCatalog } from '../../helpers/catalog';

const run = (id: string, app = 'db', cluster = 'c'): RestoreTestStart => ({
  id,
  cluster,
  app,
  node: 'n1',
  drive: 'd1',
  snapshotId: 'abc',
  requestedBy: 'test',
  sample: '{"files":3}',
  seed: 2_000_000_000,
  message: 'started',
});

describeCatalog('restore-test rows', (catalog) => {
  test('a run is recorded once, ends once (a retry changes nothing), and lists newest first', async () => {
    const db = catalog.db();
    await restoreTestStarted(db, run('rt-1'), '2026-12-04T01:00:00Z');
    await restoreTestStarted(db, run('rt-1'), '2026-12-04T01:00:09Z');
    const end = {
      id: 'rt-1',
      state: 'failed' as const,
      files: 2,
      bytes: 10,
      path: 'data/x',
      message: 'data/x differs',
    };
    assert.equal(await restoreTestFinished(db, end, '2026-12-04T01:01:00Z'), true);
    assert.equal(await restoreTestFinished(db, { ...end, state: 'succeeded' }, '2026-12-04T01:02:00Z'), false);
    await restoreTestStarted(db, run('rt-2'), '2026-12-04T02:00:00Z');
    await restoreTestFinished(
      db,
      { ...end, id: 'rt-2', state: 'succeeded', path: null, message: 'ok' },
      '2026-12-04T02:01:00Z',
    );
    await restoreTestStarted(db, run('rt-3', 'web'), '2026-12-04T03:00:00Z');
    await restoreTestStarted(db, run('rt-4', 'db', 'other'), '2026-12-04T04:00:00Z');

    const rows = await recentRestoreTests(db, 'c');
    assert.deepEqual(
      rows.map((r) => [r.id, r.app, r.state, r.started_at, r.files, r.path, r.seed]),
      [
        ['rt-3', 'web', 'running', '2026-12-04T03:00:00Z', null, null, 2_000_000_000],
        ['rt-2', 'db', 'succeeded', '2026-12-04T02:00:00Z', 2, null, 2_000_000_000],
        ['rt-1', 'db', 'failed', '2026-12-04T01:00:00Z', 2, 'data/x', 2_000_000_000],
      ],
    );
    assert.deepEqual(
      (await recentRestoreTests(db, 'c', { app: 'db', limit: 1 })).map((r) => r.id),
      ['rt-2'],
    );
    assert.deepEqual(await lastRestoreTestSuccesses(db, 'c'), [{ app: 'db', at: '2026-12-04T02:01:00Z' }]);
  });
});
