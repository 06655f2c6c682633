import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getJob, jobEvents } from '../../../src/catalog/jobs';
import { findSnapshot, operationFinished, operationStarted } from '../../../src/catalog/operations';
import { describeCatalog } from '../../helpers/catalog';

describeCatalog('catalog operations', (catalog) => {
  test('snapshots for a restore: the latest, by ID or unique prefix; refusals say what to do', async () => {
    const db = catalog.db();
    const snap = (id: string, at: string) => ({
      id,
      job_id: `job-${id}`,
      cluster: 'c',
      app: 'files',
      drive: 'd1',
      drive_path: '/san/d1',
      at,
      files: 2,
      bytes: 20,
      new_bytes: 20,
      incomplete: 0,
    });
    const none = await findSnapshot(db, 'files', null);
    assert.deepEqual(none, {
      ok: false,
      problem: 'app files has no snapshot in the catalog; back it up first with `baton backup files --wait`',
    });
    const a = 'aa11'.padEnd(64, '0');
    const b = 'aa12'.padEnd(64, '1');
    const c = 'bb00'.padEnd(64, '2');
    await db
      .insertInto('snapshots')
      .values([
        snap(a, '2026-11-27T01:00:00.000Z'),
        snap(b, '2026-11-27T02:00:00.000Z'),
        snap(c, '2026-11-27T03:00:00.000Z'),
      ])
      .execute();
    const cases: { name: string; id: string | null; found?: string; problem?: RegExp }[] = [
      { name: 'latest', id: null, found: c },
      { name: 'full ID', id: a, found: a },
      { name: 'unique prefix', id: 'aa12', found: b },
      { name: 'too short a prefix', id: 'aa1', problem: /is not an ID or a prefix of one \(at least 4 hex digits\)/ },
      {
        name: 'unknown',
        id: 'cafe',
        problem:
          /^no snapshot cafe of app files in the catalog; the app's latest: bb0022222222 \(2026-11-27T03:00:00\.000Z\), aa1211111111/,
      },
      { name: 'not hex', id: 'latest', problem: /^snapshot ID "latest" is not an ID/ },
      { name: 'a wildcard', id: 'aa%1', problem: /is not an ID/ },
    ];
    for (const k of cases) {
      const r = await findSnapshot(db, 'files', k.id);
      if (k.found) assert.deepEqual(r.ok && r.snapshot.id, k.found, k.name);
      else assert.match(r.ok ? 'found' : r.problem, k.problem ?? /never/, k.name);
    }
    await db
      .insertInto('snapshots')
      .values(snap('aa11'.padEnd(63, '0') + '9', '2026-11-27T05:00:00.000Z'))
      .execute();
    assert.deepEqual(await findSnapshot(db, 'files', 'aa11'), {
      ok: false,
      problem: 'snapshot ID prefix aa11 matches several snapshots of app files; give more digits',
    });
  });

  test('a restore and a verify are jobs with a kind and a timeline; started and finished are idempotent', async () => {
    const db = catalog.db();
    const start = {
      cluster: 'c',
      jobId: 'baton-restore-db-20261127T000000.000Z',
      kind: 'restore' as const,
      app: 'db',
      node: 'n2',
      drive: 'd1',
      requestedBy: 'test',
      message: 'restore started',
    };
    await operationStarted(db, start, 't1');
    await operationStarted(db, start, 't2'); // a retried activity
    const end = {
      cluster: 'c',
      jobId: start.jobId,
      kind: 'restore' as const,
      node: 'n2',
      state: 'succeeded' as const,
      files: 3,
      bytes: 30,
      location: 'n2:/restore/db',
      error: null,
      message: 'restore succeeded',
    };
    await operationFinished(db, end, 't3');
    await operationFinished(db, { ...end, state: 'failed', message: 'late' }, 't4');
    const row = await getJob(db, start.jobId);
    assert.equal(row?.kind, 'restore');
    assert.equal(row?.state, 'succeeded');
    assert.equal(row?.finished_at, 't3');
    assert.equal(Number(row?.files), 3);
    assert.equal(row?.location, 'n2:/restore/db');
    assert.deepEqual(
      (await jobEvents(db, start.jobId)).map((e) => [e.kind, e.message]),
      [
        ['restore-started', 'restore started'],
        ['restore-finished', 'restore succeeded'],
      ],
    );

    const verify = { ...start, jobId: 'baton-verify-d1-20261127T000000.000Z', kind: 'verify' as const, app: '' };
    await operationStarted(db, verify, 't5');
    await operationFinished(
      db,
      {
        ...end,
        jobId: verify.jobId,
        kind: 'verify',
        state: 'failed',
        error: 'pack p damaged',
        message: 'verify failed',
      },
      't6',
    );
    assert.deepEqual(
      (await jobEvents(db, verify.jobId)).map((e) => e.kind),
      ['verify-started', 'verify-failed'],
    );
    assert.equal((await getJob(db, verify.jobId))?.error, 'pack p damaged');
  });
});
