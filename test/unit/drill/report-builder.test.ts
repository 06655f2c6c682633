import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AttemptRow, JobEventRow, JobRow } from '../../../src/catalog/schema';
import type { BackupJobResult } from '../../../src/model/backup';
import { buildReport, outcomeProblems, type ReportInput } from '../../../src/drill/report-builder';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

const attemptRow = (number: number, node: string, outcome: string, o: Partial<AttemptRow> = {}): AttemptRow => ({
  job_id: 'job-1',
  number,
  epoch: number,
  node,
  drive: `${node}-disk`,
  started_at: at(number === 1 ? -10 : 4),
  ended_at: at(number === 1 ? 2 : 20),
  outcome,
  restart_kind: number > 1 ? 'checkpoint' : null,
  restart_reason: number > 1 ? 'app moved' : null,
  resumed_from_json: number > 1 ? JSON.stringify({ bytes: 300 }) : null,
  ...o,
});

const jobRow: JobRow = {
  id: 'job-1',
  cluster: 'demo',
  app: 'drill-db',
  kind: 'backup',
  node: 'node-2',
  drive: 'node-3-disk',
  state: 'succeeded',
  requested_by: 'drill:app-failover',
  started_at: at(-10),
  finished_at: at(20),
  files: 3,
  bytes: 1000,
  location: null,
  error: null,
  epoch: 2,
};

const succeeded: BackupJobResult = {
  jobId: 'job-1',
  app: 'drill-db',
  node: 'node-3',
  drive: 'node-3-disk',
  state: 'succeeded',
  outcome: {
    files: 3,
    bytes: 1000,
    durationMs: 30_000,
    newBytes: 1000,
    snapshotId: 'snap-1',
    drive: '/drives/node-3',
    incomplete: false,
  },
};

function input(o: Partial<ReportInput> = {}): ReportInput {
  return {
    scenario: 'app-failover',
    app: { name: 'drill-db', paths: ['/data/drill-db'] },
    drives: [{ name: 'node-3-disk', path: '/drives/node-3' }],
    checkpointEverySeconds: 5,
    record: {
      attempts: [attemptRow(1, 'node-2', 'moved'), attemptRow(2, 'node-3', 'succeeded')],
      checkpoints: [
        { epoch: 1, at: at(-5) },
        { epoch: 2, at: at(9) },
      ],
      events: [],
      job: jobRow,
      commits: ['/drives/node-3#snap-1'],
    },
    run: {
      jobId: 'job-1',
      fault: { kind: 'app-move', node: 'node-2', pid: null, at: at(0), detail: 'moved' },
      faultAtMs: T0,
      result: succeeded,
      failoverEvent: null,
      coordinatorStayed: false,
      fencedEvent: null,
      coordinatorBefore: null,
      cleanup: ['drill-db moved back to node-2'],
    },
    lastBytes: (epoch) => (epoch === 1 ? 500 : null),
    writingAt: (epoch) => (epoch === 2 ? at(5.5) : null),
    check: { restore: { files: 3, bytes: 1000, difference: null }, identical: true, problem: null },
    coordinatorHostAfter: null,
    ...o,
  };
}

test('report: attempts, timings, re-read bytes and the restore come from the rows as given', () => {
  const r = buildReport(input());
  assert.deepEqual(r.attempts[1], {
    number: 2,
    node: 'node-3',
    drive: 'node-3-disk',
    epoch: 2,
    outcome: 'succeeded',
    started_at: at(4),
    ended_at: at(20),
    restart: { kind: 'checkpoint', reason: 'app moved' },
  });
  assert.equal(r.attempts[0].restart, null);
  assert.deepEqual(r.timings, { fault_to_detection: 2, to_reroute: 4, to_resumed_writing: 9, to_writing_again: 5.5 });
  // Attempt 1 last reported 500 bytes; attempt 2 resumed from a checkpoint at 300.
  assert.equal(r.reread_bytes, 200);
  assert.deepEqual(r.reread_basis, { last_progress_bytes: 500, resumed_from_bytes: 300 });
  assert.equal(r.snapshot, 'snap-1');
  assert.equal(r.drive, '/drives/node-3');
  assert.equal(r.source, '/data/drill-db');
  assert.equal(r.commits, 1);
  assert.equal(r.restore_identical, true);
  assert.equal(r.job_state, 'succeeded');
  assert.equal(r.checkpoint_interval_s, 5);
  assert.equal(r.coordinator, null);
  assert.deepEqual(r.notes, []);
  assert.deepEqual(r.cleanup, ['drill-db moved back to node-2']);
  // The verdict is the driver's.
  assert.equal(r.ok, false);
  assert.equal(r.reason, null);
});

test('report: the JSON keys stay in the order bench/failover and the tests read', () => {
  assert.deepEqual(Object.keys(buildReport(input())), [
    'scenario',
    'app',
    'job',
    'ok',
    'reason',
    'fault',
    'job_state',
    'attempts',
    'snapshot',
    'drive',
    'source',
    'timings',
    'reread_bytes',
    'reread_basis',
    'checkpoint_interval_s',
    'restore_identical',
    'restore',
    'commits',
    'coordinator',
    'fenced_event',
    'cleanup',
    'notes',
  ]);
});

test('report: no fault and no end means no timings, a placeholder fault and the catalog job state', () => {
  const base = input();
  const r = buildReport({
    ...base,
    run: { ...base.run, fault: null, result: null },
    record: { ...base.record, attempts: [attemptRow(1, 'node-2', 'failed')], job: { ...jobRow, state: 'running' } },
    check: { restore: null, identical: false, problem: null },
  });
  assert.deepEqual(r.timings, {
    fault_to_detection: null,
    to_reroute: null,
    to_resumed_writing: null,
    to_writing_again: null,
  });
  assert.equal(r.fault.kind, 'none');
  assert.equal(r.job_state, 'running');
  assert.equal(r.snapshot, null);
  assert.equal(r.drive, null);
  assert.equal(r.reread_bytes, 0);
  assert.deepEqual(r.reread_basis, { last_progress_bytes: 500, resumed_from_bytes: null });
});

test('report: a coordinator failover reads its reroute from the reconcile event, and notes a job that ended first', () => {
  const base = input();
  const reconciled: JobEventRow = {
    id: 7,
    cluster: 'demo',
    job_id: 'job-1',
    at: at(6),
    kind: 'coordinator-reconciled',
    node: 'node-1',
    message: 'reconciled',
    data_json: null,
  };
  const run = {
    ...base.run,
    failoverEvent: { at: at(3), node: 'node-1', message: 'moved' },
    coordinatorBefore: 'node-3',
  };
  const record = { ...base.record, attempts: [attemptRow(1, 'node-2', 'succeeded')], events: [reconciled] };
  const r = buildReport({ ...base, scenario: 'coordinator-failover', run, record, coordinatorHostAfter: 'node-1' });
  assert.deepEqual(r.timings, { fault_to_detection: 3, to_reroute: 6, to_resumed_writing: 9, to_writing_again: null });
  assert.deepEqual(r.coordinator, { host_before: 'node-3', host_after: 'node-1', stayed_on_restarted_node: false });
  assert.deepEqual(r.notes, []);

  const early = buildReport({
    ...base,
    scenario: 'coordinator-failover',
    run: { ...run, failoverEvent: { at: at(30), node: 'node-1', message: 'moved' } },
    record,
    coordinatorHostAfter: 'node-1',
  });
  assert.equal(early.notes.length, 1);
  assert.match(early.notes[0], /^the job ended \(.*\) before the coordinator acted on its new host/);
});

test('outcome problems: a job that did not succeed, a restore that differs, a commit count other than one', () => {
  const clean = { restore: null, identical: true, problem: null };
  assert.deepEqual(outcomeProblems(null, clean, []), ['the job did not end']);
  assert.deepEqual(outcomeProblems({ ...succeeded, state: 'failed', error: 'boom' }, clean, []), ['job failed: boom']);
  assert.deepEqual(outcomeProblems(succeeded, clean, ['a#1']), []);
  assert.deepEqual(
    outcomeProblems(succeeded, { ...clean, identical: false, problem: 'restore differs from the source: x' }, [
      'a#1',
      'b#2',
    ]),
    ['restore differs from the source: x', 'expected one committed snapshot, found 2: a#1, b#2'],
  );
});
