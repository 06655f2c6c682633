import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialSnapshot } from '../../../src/workflows/coordinator-state';
import { RETENTION_STALE_MS, RetentionQueue } from '../../../src/workflows/retention-queue';
import { DEFAULT_JOB_SETTINGS, type ClusterPlan } from '../../../src/model/plan';

const app = (name: string, keep?: { last: number }) => ({
  name,
  paths: [`/data/${name}`],
  restart: 'auto' as const,
  maxCheckpointAgeSeconds: 3600,
  bandwidthLimitBytesPerSecond: 0,
  schedule: null,
  ...(keep ? { keep } : {}),
});

const plan: ClusterPlan = {
  cluster: 'c1',
  nodes: [{ name: 'n1' }, { name: 'n2' }],
  drives: [
    { name: 'd1', node: 'n1', kind: 'directory', path: '/san/d1' },
    { name: 'd2', node: 'n2', kind: 'directory', path: '/san/d2' },
  ],
  apps: [app('db', { last: 2 }), app('files', { last: 5 }), app('logs')],
  jobs: DEFAULT_JOB_SETTINGS,
};

void test('a backup of an app with keep makes its drive due; one job per drive, apps coalesced', () => {
  const s = initialSnapshot(structuredClone(plan));
  const q = new RetentionQueue(s);
  q.backupSucceeded('logs', 'd1'); // no keep policy: nothing
  assert.deepEqual(q.due(1000, 'coord'), []);
  assert.equal(s.retention, undefined, 'no state added for apps without keep');
  q.backupSucceeded('db', 'd1');
  q.backupSucceeded('files', 'd1');
  q.backupSucceeded('db', 'd1');
  const [job, ...more] = q.due(1000, 'coord');
  assert.equal(more.length, 0);
  assert.equal(job.jobId, 'baton-retention-c1-d1-19700101T000001.000Z');
  assert.equal(job.node, 'n1');
  assert.equal(job.coordinatorId, 'coord');
  assert.deepEqual(job.apps, [
    { app: 'db', keep: { last: 2 } },
    { app: 'files', keep: { last: 5 } },
  ]);
  q.started(job, 1000);
  assert.deepEqual(q.running(), [job.jobId]);
  // While it runs, another backup waits for the next job on that drive; another drive is free.
  q.backupSucceeded('db', 'd1');
  q.backupSucceeded('files', 'd2');
  assert.deepEqual(
    q.due(2000, 'coord').map((j) => j.drive.name),
    ['d2'],
  );
  q.finished('d1', 'some-older-job');
  assert.deepEqual(
    q.due(3000, 'coord').map((j) => j.drive.name),
    ['d2'],
  );
  q.finished('d1', job.jobId);
  const next = q.due(4000, 'coord').find((j) => j.drive.name === 'd1');
  assert.deepEqual(
    next?.apps.map((a) => a.app),
    ['db'],
  );
  // The state is plain JSON: continue-as-new carries it whole.
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
});

void test('a job never heard of again frees its drive after the stale time; gone apps and drives are dropped', () => {
  const s = initialSnapshot(structuredClone(plan));
  const q = new RetentionQueue(s);
  q.backupSucceeded('db', 'd1');
  const [job] = q.due(0, 'coord');
  q.started(job, 0);
  q.backupSucceeded('db', 'd1');
  assert.deepEqual(q.due(RETENTION_STALE_MS - 1, 'coord'), []);
  assert.equal(q.due(RETENTION_STALE_MS, 'coord').length, 1);
  // The plan drops db's keep policy: nothing left to do on d1.
  s.plan.apps = [app('db'), app('files', { last: 5 })];
  assert.deepEqual(q.due(RETENTION_STALE_MS, 'coord'), []);
  assert.deepEqual(s.retention?.d1.apps, []);
  // A job that could not start lets its apps go (the next backup asks again).
  q.backupSucceeded('files', 'd2');
  const [j2] = q.due(5, 'coord');
  q.skipped(j2);
  assert.deepEqual(q.due(6, 'coord'), []);
});
