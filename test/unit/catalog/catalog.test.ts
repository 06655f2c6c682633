/**
 * The catalog suite, once per dialect: SQLite always, PostgreSQL when its server is installed
 * (CI installs it). BATON_CATALOG_DIALECTS=sqlite narrows the run.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  addEvent,
  clusterEvents,
  getJob,
  jobEvents,
  jobFinished,
  jobStarted,
  recentJobs,
  snapshotsOf,
} from '../../../src/catalog/jobs';
import {
  attemptsOf,
  beginAttempt,
  checkEpoch,
  endAttempt,
  latestCheckpoint,
  saveCheckpoint,
  StaleEpochError,
} from '../../../src/catalog/attempts';
import { openCatalog, type Catalog } from '../../../src/catalog/open';
import { findSnapshot, operationFinished, operationStarted } from '../../../src/catalog/operations';
import { loadPlanRows, savePlan } from '../../../src/catalog/plan';
import { parseCatalogUrl } from '../../../src/catalog/dialect';
import { DEFAULT_JOB_SETTINGS, type ClusterPlan } from '../../../src/model/plan';
import { type BackupJobInput } from '../../../src/model/backup';
import { startPostgres, type TestPostgres } from '../../helpers/postgres';
import { tempDir } from '../../helpers/temp';

const plan: ClusterPlan = {
  cluster: 'c',
  nodes: [{ name: 'n1' }, { name: 'n2' }],
  drives: [
    { name: 'd1', node: 'n1', kind: 'directory', path: '/san/d1' },
    { name: 'd2', node: 'n2', kind: 'tape', path: '/san/d2' },
  ],
  apps: [
    {
      name: 'db',
      paths: ['/data/db', '/data/wal'],
      restart: 'checkpoint',
      maxCheckpointAgeSeconds: 60,
      bandwidthLimitBytesPerSecond: 0,
      schedule: null,
    },
  ],
  jobs: DEFAULT_JOB_SETTINGS,
};

const job: BackupJobInput = {
  cluster: 'c',
  jobId: 'baton-backup-db-20261127T000000.000Z',
  coordinatorId: 'baton-coordinator-c',
  app: plan.apps[0],
  node: 'n1',
  drive: plan.drives[0],
  drives: plan.drives,
  settings: DEFAULT_JOB_SETTINGS,
  requestedBy: 'test',
  full: false,
};

const wanted = (process.env.BATON_CATALOG_DIALECTS ?? 'sqlite,postgres').split(',');

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`catalog on ${dialect}`, { skip: !wanted.includes(dialect) && `not in BATON_CATALOG_DIALECTS` }, () => {
    let db: Catalog;
    let pg: TestPostgres | undefined;

    before(async () => {
      if (dialect === 'sqlite') {
        db = await openCatalog(`sqlite:${join(tempDir('baton-cat-').path, 'catalog.db')}`);
      } else {
        pg = await startPostgres();
        if (!pg)
          throw new Error(
            'PostgreSQL server binaries not found; apt-get install postgresql, or set BATON_CATALOG_DIALECTS=sqlite',
          );
        db = await openCatalog(pg.url);
      }
    });
    after(async () => {
      await db?.destroy();
      pg?.stop();
    });

    test('the plan is saved whole and replaced whole', async () => {
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

    test('a job is recorded once, finished with its outcome, with a timeline', async () => {
      await jobStarted(db, job, '2026-11-27T00:00:00.000Z');
      await jobStarted(db, job, '2026-11-27T00:00:01.000Z'); // a retried activity
      await jobFinished(
        db,
        {
          jobId: job.jobId,
          cluster: 'c',
          app: 'db',
          node: 'n1',
          drive: 'd1',
          state: 'succeeded',
          outcome: {
            files: 3,
            bytes: 3_000_000_000,
            newBytes: 1_000,
            durationMs: 1200,
            snapshotId: 'abc123',
            drive: '/san/d1',
            incomplete: false,
          },
        },
        '2026-11-27T00:00:05.000Z',
      );
      const row = await getJob(db, job.jobId);
      assert.equal(row?.state, 'succeeded');
      assert.equal(Number(row?.bytes), 3_000_000_000);
      assert.equal(row?.finished_at, '2026-11-27T00:00:05.000Z');
      const events = await jobEvents(db, job.jobId);
      assert.deepEqual(
        events.map((e) => e.kind),
        ['job-started', 'job-succeeded'],
      );
      assert.match(events[1].message, /3 files, 3000000000 bytes in 1200 ms/);
      assert.equal((await recentJobs(db, 5)).length, 1);
      const snapshots = await snapshotsOf(db, 'db');
      assert.deepEqual(
        snapshots.map((x) => [x.id, x.job_id, x.drive, x.drive_path, Number(x.files), x.incomplete]),
        [['abc123', job.jobId, 'd1', '/san/d1', 3, 0]],
      );
    });

    test('each attempt gets the next epoch; older epochs are fenced off', async () => {
      const e1 = await beginAttempt(db, { cluster: 'c', jobId: job.jobId, number: 1, node: 'n1', drive: 'd1' }, 't1');
      assert.equal(
        await beginAttempt(db, { cluster: 'c', jobId: job.jobId, number: 1, node: 'n1', drive: 'd1' }, 't1'),
        e1,
      );
      await checkEpoch(db, job.jobId, e1);
      assert.equal(
        await saveCheckpoint(
          db,
          { jobId: job.jobId, epoch: e1, node: 'n1', files: 5, bytes: 500, data: { cursor: 5 } },
          't2',
        ),
        true,
      );
      await endAttempt(
        db,
        { cluster: 'c', jobId: job.jobId, number: 1, outcome: 'moved', detail: 'app moved to n2' },
        't3',
      );
      const e2 = await beginAttempt(
        db,
        {
          cluster: 'c',
          jobId: job.jobId,
          number: 2,
          node: 'n2',
          drive: 'd2',
          restart: { kind: 'checkpoint', reason: 'app moved from n1 to n2' },
        },
        't4',
      );
      assert.equal(e2, e1 + 1);
      await assert.rejects(checkEpoch(db, job.jobId, e1), StaleEpochError);
      await assert.rejects(
        saveCheckpoint(db, { jobId: job.jobId, epoch: e1, node: 'n1', files: 9, bytes: 900, data: {} }, 't5'),
        /epoch 1 of job .* is fenced off: the job's current epoch is 2/,
      );
      assert.equal(
        await saveCheckpoint(db, { jobId: job.jobId, epoch: e2, node: 'n2', files: 4, bytes: 400, data: {} }, 't6'),
        false,
        'a checkpoint never moves backwards',
      );
      assert.equal(Number((await latestCheckpoint(db, job.jobId))?.files), 5);
      const attempts = await attemptsOf(db, job.jobId);
      assert.deepEqual(
        attempts.map((a) => [a.number, a.node, a.drive, a.epoch, a.outcome, a.restart_kind, a.restart_reason]),
        [
          [1, 'n1', 'd1', e1, 'moved', null, null],
          [2, 'n2', 'd2', e2, null, 'checkpoint', 'app moved from n1 to n2'],
        ],
      );
    });

    test('a drive leased to a running job is busy for another job', async () => {
      const holder = { ...job, jobId: 'baton-backup-db-holder' };
      const other = { ...job, jobId: 'baton-backup-db-other' };
      await jobStarted(db, holder, 't');
      await jobStarted(db, other, 't');
      assert.equal(
        await beginAttempt(db, { cluster: 'c', jobId: holder.jobId, number: 1, node: 'n2', drive: 'd2' }, 't'),
        1,
      );
      await assert.rejects(
        beginAttempt(db, { cluster: 'c', jobId: other.jobId, number: 1, node: 'n2', drive: 'd2' }, 't'),
        /drive d2 is leased to job baton-backup-db-holder; this attempt waits until that job releases it/,
      );
      await jobFinished(
        db,
        { jobId: holder.jobId, cluster: 'c', node: 'n2', state: 'failed', error: 'x', app: 'db', drive: 'd2' },
        't',
      );
      assert.equal(
        await beginAttempt(db, { cluster: 'c', jobId: other.jobId, number: 1, node: 'n2', drive: 'd2' }, 't'),
        1,
      );
    });

    test('cluster events have no job and come newest first', async () => {
      await addEvent(
        db,
        { cluster: 'c', jobId: null, kind: 'app-moved', node: 'n2', message: 'm1', data: { a: 1 } },
        't',
      );
      await addEvent(db, { cluster: 'c', jobId: null, kind: 'coordinator-failover', node: 'n2', message: 'm2' }, 't');
      const events = await clusterEvents(db, 'c');
      assert.deepEqual(
        events.map((e) => e.kind),
        ['coordinator-failover', 'app-moved'],
      );
      assert.deepEqual(JSON.parse(events[1].data_json ?? 'null'), { a: 1 });
    });

    test('snapshots for a restore: the latest, by ID or unique prefix; refusals say what to do', async () => {
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
}

test('catalog URLs: sqlite paths and postgres, anything else refused with the fix', () => {
  assert.deepEqual(parseCatalogUrl('sqlite:/a/b.db'), { kind: 'sqlite', target: '/a/b.db' });
  assert.deepEqual(parseCatalogUrl('sqlite:///a/b.db'), { kind: 'sqlite', target: '/a/b.db' });
  assert.equal(parseCatalogUrl('postgres://u@h/db').kind, 'postgres');
  assert.throws(() => parseCatalogUrl('mysql://x'), /use sqlite:\/path\/to\/catalog\.db or postgres:\/\//);
  assert.throws(() => parseCatalogUrl('sqlite:'), /has no file path/);
});
