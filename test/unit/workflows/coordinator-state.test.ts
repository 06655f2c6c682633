import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterSnapshot } from '../../../src/model/cluster';
import {
  CoordinatorRefusal,
  CoordinatorState,
  HANDOVER_WATCH_SECONDS,
  MAX_RETRY_SECONDS,
  RECENT_JOBS_KEPT,
} from '../../../src/workflows/coordinator-state';
import { type CoordinatorSnapshot } from '../../../src/model/coordinator';
import { START_GRACE_MS, START_WINDOW_MS } from '../../../src/model/backup-job-start';
import { type ClusterPlan } from '../../../src/model/plan';
import { BROKEN_PLANS, testPlan } from '../../helpers/fixtures';

const plan = (): ClusterPlan => testPlan({ cluster: 'c1' });

function cluster(version: string, apps: Record<string, string | null>): ClusterSnapshot {
  return {
    version,
    takenAt: '2026-11-27T00:00:00.000Z',
    nodes: [
      { name: 'n1', state: 'online' },
      { name: 'n2', state: 'online' },
    ],
    apps: Object.entries(apps).map(([name, host]) => ({ name, host, state: host ? 'started' : 'stopped' })),
  };
}

function refusalCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CoordinatorRefusal, `expected a CoordinatorRefusal, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected a refusal');
}

test('a backup goes to the node hosting the app and that node’s pre-assigned drive', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n2' }));
  const job = s.planBackup('db', Date.UTC(2026, 10, 27), 'test', 'baton-coordinator-c1');
  assert.equal(job.node, 'n2');
  assert.equal(job.drive.name, 'd2');
  assert.equal(job.jobId, 'baton-backup-c1-db-20261127T000000.000Z');
  assert.equal(job.coordinatorId, 'baton-coordinator-c1');
});

test('a coordinator replaying a history from before IDs named their cluster plans the ID it had', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n2' }));
  const job = s.planBackup('db', Date.UTC(2026, 10, 27), 'test', 'baton-coordinator-c1', false, false);
  assert.equal(job.jobId, 'baton-backup-db-20261127T000000.000Z');
});

test('two backups in the same millisecond get different IDs', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n1' }));
  const a = s.planBackup('db', 1000, 't', 'c');
  s.jobStarted(a, 'x');
  s.jobFinished(a.jobId, 'succeeded', 'y');
  const b = s.planBackup('db', 1000, 't', 'c');
  assert.notEqual(a.jobId, b.jobId);
});

const refusals: { name: string; app: string; hosts: Record<string, string | null>; busy?: boolean; code: string }[] = [
  { name: 'unknown app', app: 'nope', hosts: { db: 'n1' }, code: 'UnknownApp' },
  { name: 'app running nowhere', app: 'db', hosts: { db: null }, code: 'AppNotPlaced' },
  { name: 'app already being backed up', app: 'db', hosts: { db: 'n1' }, busy: true, code: 'AlreadyRunning' },
];
for (const c of refusals) {
  test(`planBackup refuses: ${c.name}, and changes nothing`, () => {
    const s = CoordinatorState.fromPlan(plan());
    s.observe('n1', cluster('v1', c.hosts));
    if (c.busy) s.jobStarted(s.planBackup(c.app, 5, 't', 'c'), 'now');
    const before = JSON.stringify(s.snapshot());
    assert.equal(
      refusalCode(() => s.planBackup(c.app, 10, 't', 'c')),
      c.code,
    );
    assert.equal(JSON.stringify(s.snapshot()), before);
  });
}

test('the already-running refusal names the running job and the fix', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n1' }));
  const running = s.planBackup('db', 5, 't', 'c');
  s.jobStarted(running, 'now');
  assert.throws(
    () => s.planBackup('db', 10, 't', 'c'),
    new RegExp(`already has a backup running \\(${running.jobId}\\); wait for it or cancel it first`),
  );
});

test('the unknown-app refusal names the known apps and the fix', () => {
  const s = CoordinatorState.fromPlan(plan());
  assert.throws(() => s.app('web'), /unknown app "web"; apps of cluster "c1": db\. Add it to the config/);
});

test('observe reports a coordinator move only when the host changes from a known node', () => {
  const s = CoordinatorState.fromPlan(plan());
  assert.equal(s.observe('n1', cluster('v1', { db: 'n1' })).coordinatorMoved, null);
  assert.equal(s.observe('n1', cluster('v1', { db: 'n1' })).coordinatorMoved, null);
  assert.deepEqual(s.observe('n2', cluster('v1', { db: 'n1' })).coordinatorMoved, { from: 'n1', to: 'n2' });
  assert.equal(s.host, 'n2');
});

/** A view in which node n1 is `n1` (n2, n3 online), db on n2; as an unchanged view comes back, without nodes and apps, when `held`. */
function withN1(version: string, n1: 'online' | 'offline' | 'unknown', held = false): ClusterSnapshot {
  const full: ClusterSnapshot = {
    version,
    takenAt: '2026-12-05T00:00:00.000Z',
    nodes: [
      { name: 'n1', state: n1 },
      { name: 'n2', state: 'online' },
      { name: 'n3', state: 'online' },
    ],
    apps: [{ name: 'db', host: 'n2', state: 'started' }],
  };
  return held ? { ...full, nodes: [], apps: [] } : full;
}

test('a hand-over whose node is reported down within the watch was a failover, said once', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', withN1('v1', 'online'), 0);
  assert.deepEqual(s.observe('n2', withN1('v1', 'online'), 1000).coordinatorMoved, { from: 'n1', to: 'n2' });
  s.handedOver('n1', 1000);
  // an unchanged view (held: no nodes listed) says nothing of n1; nor does a changed one with n1 online
  assert.equal(s.observe('n2', withN1('v1', 'online', true), 2000).handoverWasFailover, null);
  assert.equal(s.observe('n2', withN1('v2', 'online'), 3000).handoverWasFailover, null);
  const late = s.observe('n2', withN1('v3', 'unknown'), 6000).handoverWasFailover;
  assert.equal(late?.from, 'n1');
  assert.equal(late?.atMs, 1000);
  assert.equal(late?.move.kind, 'coordinator-failover');
  assert.match(late?.move.reason ?? '', /reports n1 unknown/);
  assert.equal(s.snapshot().handedOver, undefined);
  assert.equal(s.observe('n2', withN1('v4', 'offline'), 7000).handoverWasFailover, null, 'said once');
});

test('the watch of a hand-over ends after HANDOVER_WATCH_SECONDS, or when the coordinator moves again', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n2', withN1('v1', 'online'), 0);
  s.handedOver('n1', 0);
  assert.equal(s.observe('n2', withN1('v2', 'offline'), HANDOVER_WATCH_SECONDS * 1000 + 1).handoverWasFailover, null);
  assert.equal(s.snapshot().handedOver, undefined);

  const t = CoordinatorState.fromPlan(plan());
  t.observe('n2', withN1('v1', 'online'), 0);
  t.handedOver('n1', 0);
  const moved = t.observe('n3', withN1('v2', 'offline'), 1000);
  assert.deepEqual(moved.coordinatorMoved, { from: 'n2', to: 'n3' });
  assert.equal(moved.handoverWasFailover, null, 'the new move is judged on its own');
  assert.equal(t.snapshot().handedOver, undefined);
});

test('observe reports app moves when the cluster version changes', () => {
  const s = CoordinatorState.fromPlan(plan());
  assert.deepEqual(s.observe('n1', cluster('v1', { db: 'n1' })).appMoves, []);
  assert.deepEqual(s.observe('n1', cluster('v2', { db: 'n2' })).appMoves, [{ app: 'db', from: 'n1', to: 'n2' }]);
  assert.deepEqual(s.observe('n1', cluster('v3', { db: null })).appMoves, [{ app: 'db', from: 'n2', to: null }]);
  assert.deepEqual(s.observe('n1', cluster('v3', { db: 'n1' })).appMoves, [], 'same version: nothing read');
});

test('finished jobs move to recent, newest first, bounded', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n1' }));
  for (let i = 0; i < RECENT_JOBS_KEPT + 5; i++) {
    const job = s.planBackup('db', i * 1000, 't', 'c');
    s.jobStarted(job, 'start');
    s.jobFinished(job.jobId, i % 2 ? 'failed' : 'succeeded', 'end', i % 2 ? 'boom' : undefined);
  }
  const snap = s.snapshot();
  assert.equal(snap.running.length, 0);
  assert.equal(snap.recent.length, RECENT_JOBS_KEPT);
  assert.equal(snap.recent[0].jobId, 'baton-backup-c1-db-19700101T000024.000Z');
  assert.equal(snap.recent[0].error, undefined);
  assert.equal(snap.recent[1].error, 'boom');
  s.jobFinished('unknown-job', 'succeeded', 'x');
  assert.equal(s.snapshot().recent.length, RECENT_JOBS_KEPT);
});

test('a job being started holds its app at once but is not for the reconcile to look up yet', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n1' }));
  const job = s.planBackup('db', 7, 't', 'c');
  s.jobStarting(job, 'now');
  // a second request for the app, planned while the first job's workflow starts, is refused
  assert.equal(
    refusalCode(() => s.planBackup('db', 8, 't', 'c')),
    'AlreadyRunning',
  );
  assert.deepEqual(s.runningJobIds(0), []);
  assert.deepEqual(
    s.runningJobsOf('db').map((j) => j.jobId),
    [job.jobId],
  );
  s.jobStartConfirmed(job.jobId);
  assert.deepEqual(s.runningJobIds(0), [job.jobId]);
});

test('a job its requester starts holds its app, and the reconcile looks for it only once its window and grace are over', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n1' }));
  const planMs = Date.UTC(2026, 11, 7);
  const job = { ...s.planBackup('db', planMs, 't', 'c'), startBy: new Date(planMs + START_WINDOW_MS).toISOString() };
  s.jobStarted(job, new Date(planMs).toISOString());
  assert.equal(
    refusalCode(() => s.planBackup('db', planMs + 1, 't', 'c')),
    'AlreadyRunning',
  );
  const settled = planMs + START_WINDOW_MS + START_GRACE_MS;
  assert.deepEqual(s.runningJobIds(planMs), []);
  assert.deepEqual(s.runningJobIds(settled - 1), []);
  assert.deepEqual(s.runningJobIds(settled), [job.jobId]);
  // the window travels with the job into the next run
  const next = new CoordinatorState(structuredClone(s.snapshot()));
  assert.deepEqual(next.runningJobIds(settled - 1), []);
  assert.deepEqual(next.runningJobIds(settled), [job.jobId]);
});

test('a job whose workflow could not be started frees its app and leaves no trace', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n1' }));
  const job = s.planBackup('db', 7, 't', 'c');
  s.jobStarting(job, 'now');
  s.jobNotStarted(job.jobId);
  assert.deepEqual(s.snapshot().running, []);
  assert.deepEqual(s.snapshot().recent, []);
  assert.notEqual(s.planBackup('db', 8, 't', 'c').jobId, job.jobId);
});

test('the state survives a JSON round trip (continue-as-new)', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n1' }));
  s.jobStarted(s.planBackup('db', 7, 't', 'c'), 'now');
  const copy = new CoordinatorState(JSON.parse(JSON.stringify(s.snapshot())) as CoordinatorSnapshot);
  assert.deepEqual(copy.snapshot(), s.snapshot());
  assert.equal(
    refusalCode(() => copy.planBackup('db', 8, 't', 'c')),
    'AlreadyRunning',
  );
});

for (const c of BROKEN_PLANS) {
  test(`configure refuses a plan with ${c.name}, and keeps the old plan`, () => {
    const s = CoordinatorState.fromPlan(plan());
    const bad = plan();
    c.change(bad);
    assert.throws(() => s.configure(bad), c.problem);
    assert.deepEqual(s.snapshot().plan, plan());
  });
}

test('configure refuses a plan for another cluster', () => {
  const s = CoordinatorState.fromPlan(plan());
  assert.throws(() => s.configure({ ...plan(), cluster: 'other' }), /plan is for cluster "other"/);
});

test('configure refuses (InUse) a plan that removes the app, node or drive of a running job, naming it; changes nothing', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n2' }));
  const job = s.planBackup('db', 5000, 't', 'c');
  s.jobStarted(job, 'now');
  const noApp = { ...plan(), apps: [] };
  assert.equal(
    refusalCode(() => s.configure(noApp)),
    'InUse',
  );
  assert.throws(() => s.configure(noApp), new RegExp(`removes app "db", which running job ${job.jobId} uses`));
  const noN2 = { ...plan(), nodes: [{ name: 'n1' }], drives: plan().drives.filter((d) => d.node === 'n1') };
  assert.throws(() => s.configure(noN2), /removes node "n2".*removes drive "d2"/);
  assert.deepEqual(s.snapshot().plan, plan());
  // A coordinator from before the check (its history) took such a plan: configure(plan, false).
  s.configure(noApp, false);
  assert.deepEqual(s.snapshot().plan.apps, []);
  // Once the job ends, the removal is fine.
  s.configure(plan());
  s.jobFinished(job.jobId, 'succeeded', 'later');
  s.configure(noN2);
  assert.deepEqual(s.snapshot().plan.nodes, [{ name: 'n1' }]);
});

test('an app added by configure is placed at the next observation, though the cluster version is the same', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n2', files: 'n1' }));
  assert.equal(s.hostOf('files'), null);
  s.configure({ ...plan(), apps: [...plan().apps, { ...plan().apps[0], name: 'files' }] });
  const change = s.observe('n1', cluster('v1', { db: 'n2', files: 'n1' }));
  assert.equal(s.hostOf('files'), 'n1');
  assert.deepEqual(change.appMoves, []);
});

test('details say where the coordinator and each app run, and the running jobs', () => {
  const s = CoordinatorState.fromPlan(plan());
  assert.match(s.details(), /running on \*\*\(starting\)\*\*/);
  s.observe('n2', cluster('v1', { db: 'n1' }));
  const job = s.planBackup('db', 5000, 't', 'c');
  s.jobStarted(job, 'now');
  assert.equal(
    s.details(),
    'coordinator of cluster **c1**, running on **n2**\n\napps: `db` on n1\n\nrunning jobs: `baton-backup-c1-db-19700101T000005.000Z` on n1',
  );
});

test('a failing cluster service: the last view stays, the outage starts once, backoff grows to a cap', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.observe('n1', cluster('v1', { db: 'n2' }));
  assert.equal(s.nextTickSeconds(2), 2);
  assert.equal(s.clusterFailed('T1', 'map file missing'), true);
  assert.equal(s.clusterFailed('T2', 'map file still missing'), false);
  assert.deepEqual(s.outage, { since: 'T1', error: 'map file still missing', failures: 2 });
  assert.equal(s.nextTickSeconds(2), 8);
  for (let i = 0; i < 20; i++) s.clusterFailed('T3', 'gone');
  assert.equal(s.nextTickSeconds(2), MAX_RETRY_SECONDS);
  assert.equal(s.hostOf('db'), 'n2', 'the last known view is kept');
  assert.equal(s.planBackup('db', Date.UTC(2026, 10, 27), 'test', 'baton-coordinator-c1').node, 'n2');
  assert.match(s.details(), /\*\*cluster service unreachable since T1 \(22 failed observations\): gone\*\*/);
  assert.equal(s.snapshot().clusterUnreachable?.since, 'T1', 'the outage travels with continue-as-new');

  assert.deepEqual(s.clusterAnswered(), { since: 'T1', error: 'gone', failures: 22 });
  assert.equal(s.clusterAnswered(), null);
  assert.equal(s.outage, null);
  assert.equal(s.nextTickSeconds(2), 2);
  assert.doesNotMatch(s.details(), /unreachable/);
});

test('a slow tick is never shortened by the backoff', () => {
  const s = CoordinatorState.fromPlan(plan());
  s.clusterFailed('T1', 'x');
  assert.equal(s.nextTickSeconds(60), 60);
  assert.equal(s.nextTickSeconds(120), 120);
});

test('reconcile is due at once, then every interval; closed jobs end as the catalog says', () => {
  const s = CoordinatorState.fromPlan(plan());
  assert.equal(s.reconcileDue(1000, 30_000), true);
  assert.equal(s.reconcileDue(30_999, 30_000), false);
  assert.equal(s.reconcileDue(31_000, 30_000), true);

  s.observe('n1', cluster('v1', { db: 'n2' }));
  const job = s.planBackup('db', Date.UTC(2026, 10, 27), 'test', 'baton-coordinator-c1');
  s.jobStarted(job, 'T0');
  assert.deepEqual(s.runningJobIds(0), [job.jobId]);
  s.jobsClosed([{ jobId: job.jobId, state: 'failed', error: 'its workflow was terminated' }], 'T1');
  assert.deepEqual(s.runningJobIds(0), []);
  assert.equal(s.snapshot().recent[0].error, 'its workflow was terminated');
  // The app is no longer refused as AlreadyRunning.
  assert.ok(s.planBackup('db', Date.UTC(2026, 10, 27, 1), 'test', 'baton-coordinator-c1').jobId);
});
