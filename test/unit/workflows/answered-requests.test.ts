/**
 * A backup request repeated under its update ID, in a later run of the coordinator, gets the answer
 * it got before (answered-requests.ts, CoordinatorState.answerAgain): its own job, not a refusal
 * and not a second backup.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterSnapshot } from '../../../src/model/cluster';
import type { AnsweredRequest, CoordinatorSnapshot } from '../../../src/model/coordinator';
import { START_GRACE_MS, START_WINDOW_MS } from '../../../src/model/backup-job-start';
import { ANSWERS_KEPT, ANSWERS_KEPT_MS, answerOf, withAnswer } from '../../../src/workflows/answered-requests';
import { CoordinatorState } from '../../../src/workflows/coordinator-state';
import { testPlan } from '../../helpers/fixtures';

const COORDINATOR = 'baton-coordinator-c1';
const T0 = Date.UTC(2026, 11, 7, 2);

const view = (db: string): ClusterSnapshot => ({
  version: `v-${db}`,
  takenAt: '2026-12-07T02:00:00.000Z',
  nodes: [
    { name: 'n1', state: 'online' },
    { name: 'n2', state: 'online' },
  ],
  apps: [{ name: 'db', host: db, state: 'started' }],
});

/** A state that planned a backup of db for a requester that starts it, as the coordinator does, and its next run's copy. */
function plannedAndCarried(request = { app: 'db', requestedBy: 'schedule:s1', startsJob: true }) {
  const s = CoordinatorState.fromPlan(testPlan({ cluster: 'c1' }));
  s.observe('n1', view('n2'));
  const planned = s.planBackup(request.app, T0, request.requestedBy, COORDINATOR);
  const job = { ...planned, startBy: new Date(T0 + START_WINDOW_MS).toISOString() };
  s.jobStarted(job, new Date(T0).toISOString());
  assert.deepEqual(s.answer(job, 'u1', T0), { jobId: job.jobId, node: 'n2', drive: 'd2' });
  // continue-as-new carries the snapshot as JSON
  const next = new CoordinatorState(JSON.parse(JSON.stringify(s.snapshot())) as CoordinatorSnapshot);
  return { job, next, request };
}

test('a repeat while its job waits to be started gets the same job to start, as first planned', () => {
  const { job, next, request } = plannedAndCarried();
  const again = next.answerAgain('u1', request, COORDINATOR, T0 + 30_000);
  assert.deepEqual(again, { jobId: job.jobId, node: 'n2', drive: 'd2', job });
});

test('a repeat once its job started, or ended, gets the job without a plan to start; another request gets nothing', () => {
  const { job, next, request } = plannedAndCarried();
  const started = { jobId: job.jobId, node: 'n2', drive: 'd2' };
  assert.deepEqual(next.answerAgain('u1', request, COORDINATOR, T0 + START_WINDOW_MS + START_GRACE_MS), started);
  next.jobFinished(job.jobId, 'succeeded', 'T1');
  assert.deepEqual(next.answerAgain('u1', request, COORDINATOR, T0 + 120_000), started, 'not a second backup');
  assert.equal(next.answerAgain('u2', request, COORDINATOR, T0 + 120_000), null);
  // and the app is free for a new request
  assert.equal(next.planBackup('db', T0 + 120_000, 'cli:ops', COORDINATOR).node, 'n2');
});

test('a requester that starts no job gets no plan in the repeat', () => {
  const { job, next } = plannedAndCarried();
  const again = next.answerAgain('u1', { app: 'db', requestedBy: 'schedule:s1' }, COORDINATOR, T0 + 1000);
  assert.deepEqual(again, { jobId: job.jobId, node: 'n2', drive: 'd2' });
});

test('an answer is forgotten after ANSWERS_KEPT_MS, or once the reconcile closed its job', () => {
  const { job, next, request } = plannedAndCarried();
  assert.equal(next.answerAgain('u1', request, COORDINATOR, T0 + ANSWERS_KEPT_MS), null);
  next.jobsClosed(
    [{ jobId: job.jobId, state: 'failed', error: 'is not known to Temporal (never started, or removed)' }],
    'T1',
  );
  assert.equal(next.answerAgain('u1', request, COORDINATOR, T0 + 1000), null, 'a repeat plans anew');
  assert.deepEqual(next.snapshot().answers, []);
});

test('the list keeps the newest ANSWERS_KEPT answers of the last ANSWERS_KEPT_MS, one per update ID', () => {
  const answer = (n: number, atMs: number): AnsweredRequest => ({
    updateId: `u${n}`,
    jobId: `j${n}`,
    node: 'n1',
    drive: 'd1',
    atMs,
  });
  let answers: AnsweredRequest[] = [];
  for (let n = 0; n < ANSWERS_KEPT + 5; n++) answers = withAnswer(answers, answer(n, T0 + n));
  assert.equal(answers.length, ANSWERS_KEPT);
  assert.equal(answers[0]?.updateId, 'u5', 'the oldest went first');
  answers = withAnswer(answers, answer(7, T0 + ANSWERS_KEPT_MS + 6));
  assert.equal(answers.length, ANSWERS_KEPT - 2, 'u5 and u6, ANSWERS_KEPT_MS old, went; u7 is there once');
  assert.equal(answerOf(answers, 'u7', T0 + ANSWERS_KEPT_MS + 6)?.jobId, 'j7');
  assert.equal(answerOf(answers, 'u6', T0 + ANSWERS_KEPT_MS + 6), null);
});
