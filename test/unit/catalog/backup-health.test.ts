import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backupTimes, latestVerifies, runningBackups } from '../../../src/catalog/backup-health';
import { jobFinished, recordJobStart } from '../../../src/catalog/jobs';
import type { Catalog } from '../../../src/catalog/open';
import { operationFinished, operationStarted } from '../../../src/catalog/operations';
import { describeCatalog } from '../../helpers/catalog';

async function backupJob(db: Catalog, id: string, app: string, at: string, cluster = 'c'): Promise<void> {
  await recordJobStart(
    db,
    { id, cluster, app, kind: 'backup', node: 'n1', drive: 'd1', requestedBy: 'test' },
    { cluster, jobId: id, kind: 'job-started', node: 'n1', message: 'started' },
    at,
  );
}

async function finish(db: Catalog, id: string, app: string, state: 'succeeded' | 'failed', at: string): Promise<void> {
  const outcome =
    state === 'succeeded'
      ? { files: 1, bytes: 1, newBytes: 1, durationMs: 1, snapshotId: `s-${id}`, drive: '/d1', incomplete: false }
      : undefined;
  await jobFinished(db, { jobId: id, cluster: 'c', app, node: 'n1', drive: 'd1', state, outcome }, at);
}

async function verifyJob(
  db: Catalog,
  id: string,
  drive: string,
  state: 'succeeded' | 'failed',
  at: string,
  data: unknown,
) {
  const base = { cluster: 'c', jobId: id, kind: 'verify' as const, node: 'n1' };
  await operationStarted(db, { ...base, app: '', drive, requestedBy: 'test', message: 'verify' }, at);
  await operationFinished(
    db,
    { ...base, state, files: null, bytes: null, location: '/d', error: null, message: 'done', data },
    at,
  );
}

describeCatalog('backup health', (catalog) => {
  test("each app's last success and last failure, this cluster only", async () => {
    const db = catalog.db();
    await backupJob(db, 'j1', 'db', '2026-12-01T00:00:00.000Z');
    await finish(db, 'j1', 'db', 'succeeded', '2026-12-01T01:00:00.000Z');
    await backupJob(db, 'j2', 'db', '2026-12-02T00:00:00.000Z');
    await finish(db, 'j2', 'db', 'succeeded', '2026-12-02T01:00:00.000Z');
    await backupJob(db, 'j3', 'db', '2026-12-03T00:00:00.000Z');
    await finish(db, 'j3', 'db', 'failed', '2026-12-03T01:00:00.000Z');
    await backupJob(db, 'j4', 'web', '2026-12-03T00:00:00.000Z');
    await finish(db, 'j4', 'web', 'failed', '2026-12-03T02:00:00.000Z');
    await backupJob(db, 'j5', 'db', '2026-12-04T00:00:00.000Z', 'other');
    assert.deepEqual(await backupTimes(db, 'c'), [
      { app: 'db', lastSuccess: '2026-12-02T01:00:00.000Z', lastFailure: '2026-12-03T01:00:00.000Z' },
      { app: 'web', lastSuccess: null, lastFailure: '2026-12-03T02:00:00.000Z' },
    ]);
  });

  test('running backups with their latest checkpoint', async () => {
    const db = catalog.db();
    await backupJob(db, 'r1', 'db', '2026-12-04T00:00:00.000Z');
    await backupJob(db, 'r2', 'web', '2026-12-04T00:05:00.000Z');
    for (const [seq, at] of [
      [1, '2026-12-04T00:01:00.000Z'],
      [2, '2026-12-04T00:02:00.000Z'],
    ] as const) {
      await db
        .insertInto('checkpoints')
        .values({ job_id: 'r1', epoch: 1, seq, at, node: 'n1', files: 1, bytes: 1, data_json: '{}' })
        .execute();
    }
    const running = (await runningBackups(db, 'c')).sort((a, b) => a.jobId.localeCompare(b.jobId));
    assert.deepEqual(running, [
      { jobId: 'r1', app: 'db', startedAt: '2026-12-04T00:00:00.000Z', lastCheckpoint: '2026-12-04T00:02:00.000Z' },
      { jobId: 'r2', app: 'web', startedAt: '2026-12-04T00:05:00.000Z', lastCheckpoint: null },
    ]);
  });

  test("each drive's latest verify, with the error count its end event carries", async () => {
    const db = catalog.db();
    await verifyJob(db, 'v1', 'd1', 'failed', '2026-12-01T00:00:00.000Z', { errorCount: 3 });
    await verifyJob(db, 'v2', 'd1', 'succeeded', '2026-12-02T00:00:00.000Z', { errorCount: 0 });
    await verifyJob(db, 'v3', 'd2', 'succeeded', '2026-12-01T00:00:00.000Z', { errorCount: 0 });
    await verifyJob(db, 'v4', 'd2', 'failed', '2026-12-02T00:00:00.000Z', { errorCount: 2 });
    await verifyJob(db, 'v5', 'd3', 'failed', '2026-12-02T00:00:00.000Z', null);
    assert.deepEqual(await latestVerifies(db, 'c'), [
      { drive: 'd1', state: 'succeeded', finishedAt: '2026-12-02T00:00:00.000Z', errors: 0 },
      { drive: 'd2', state: 'failed', finishedAt: '2026-12-02T00:00:00.000Z', errors: 2 },
      { drive: 'd3', state: 'failed', finishedAt: '2026-12-02T00:00:00.000Z', errors: null },
    ]);
  });
});
