import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobEntry } from '../../../src/model/backup';
import type { ClusterPlan } from '../../../src/model/plan';
import { describeChange, planDiff, removalsInUse } from '../../../src/model/plan-diff';
import { testApp, testPlan } from '../../helpers/fixtures';

const lines = (before: ClusterPlan | null, after: ClusterPlan) => planDiff(before, after).map(describeChange);

test('the same plan, in another key order, is no change', () => {
  const plan = testPlan();
  const reversed = (o: object) => Object.fromEntries(Object.entries(o).reverse());
  const reordered = { ...plan, apps: plan.apps.map(reversed), jobs: reversed(plan.jobs) } as ClusterPlan;
  assert.notEqual(JSON.stringify(reordered), JSON.stringify(plan));
  assert.deepEqual(planDiff(plan, reordered), []);
});

test('against no running plan, every node, drive, app and schedule is added and settings are not listed', () => {
  const plan = testPlan({ app: { schedule: { everySeconds: 3600, catchupWindowSeconds: 60 } } });
  assert.deepEqual(lines(null, plan), [
    'node n1 added',
    'node n2 added',
    'drive d1 added',
    'drive d2 added',
    'app db added',
    'schedule of app db added',
  ]);
});

test('added and removed apps, nodes and drives are named', () => {
  const before = testPlan();
  const after = testPlan();
  after.apps.push(testApp({ name: 'files', paths: ['/data/files'] }));
  after.nodes.push({ name: 'n3' });
  after.drives.push({ name: 'd3', node: 'n3', kind: 'directory', path: '/san/d3' });
  after.nodes = after.nodes.filter((n) => n.name !== 'n2');
  after.drives = after.drives.filter((d) => d.name !== 'd2');
  assert.deepEqual(lines(before, after), [
    'node n3 added',
    'node n2 removed',
    'drive d3 added',
    'drive d2 removed',
    'app files added',
  ]);
});

test('changed fields say before and after: drive path, app paths, schedule, job settings', () => {
  const before = testPlan();
  const after = testPlan({
    app: { paths: ['/data/db', '/data/logs'], schedule: { cron: '0 * * * *', catchupWindowSeconds: 60 } },
  });
  after.drives[0] = { ...after.drives[0], path: '/san/other' };
  after.jobs = { ...after.jobs, maxAttempts: 7 };
  assert.deepEqual(lines(before, after), [
    'drive d1 changed (path: "/san/d1" -> "/san/other")',
    'app db changed (paths: ["/data/db"] -> ["/data/db","/data/logs"])',
    'schedule of app db added',
    'setting jobs.maxAttempts changed (5 -> 7)',
  ]);
  const later = testPlan({
    app: { paths: after.apps[0].paths, schedule: { cron: '30 * * * *', catchupWindowSeconds: 60 } },
  });
  later.drives[0] = after.drives[0];
  later.jobs = after.jobs;
  assert.deepEqual(lines(after, later), [
    'schedule of app db changed ({"catchupWindowSeconds":60,"cron":"0 * * * *"} -> {"catchupWindowSeconds":60,"cron":"30 * * * *"})',
  ]);
  assert.deepEqual(lines(later, testPlan({ app: { paths: later.apps[0].paths } })).slice(1, 3), [
    'schedule of app db removed',
    'setting jobs.maxAttempts changed (7 -> 5)',
  ]);
});

const job: JobEntry = {
  jobId: 'baton-backup-c-db-1',
  app: 'db',
  node: 'n2',
  drive: 'd2',
  state: 'running',
  startedAt: '2026-12-04T00:00:00.000Z',
};

test('removing the app, node or drive of a running job is named with the job; other removals are not', () => {
  assert.deepEqual(removalsInUse(testPlan(), [job]), []);
  const noApp = { ...testPlan(), apps: [testApp({ name: 'other' })] };
  assert.match(removalsInUse(noApp, [job]).join('\n'), /removes app "db", which running job baton-backup-c-db-1 uses/);
  const noNode = testPlan();
  noNode.nodes = noNode.nodes.filter((n) => n.name !== 'n2');
  noNode.drives = noNode.drives.filter((d) => d.name !== 'd2');
  assert.deepEqual(
    removalsInUse(noNode, [job]).map((m) => m.split(',')[0]),
    ['the plan removes node "n2"', 'the plan removes drive "d2"'],
  );
  const noD1 = testPlan();
  noD1.drives = noD1.drives.filter((d) => d.name !== 'd1');
  assert.deepEqual(removalsInUse(noD1, [job]), []);
});
