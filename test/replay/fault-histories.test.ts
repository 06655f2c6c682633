/**
 * What the fault histories hold (recorded by scripts/record-fault-histories.ts from real runs;
 * replay.test.ts replays them):
 *
 * backup-job-node-failure-*: backupAttempt on node-1's queue; its node SIGKILLed, the server ends
 *   it with a heartbeat timeout (ACTIVITY_TASK_TIMED_OUT, TIMEOUT_TYPE_HEARTBEAT); endAttempt,
 *   appHost, latestCheckpoint and canReadCheckpoint on the new node, beginAttempt (epoch 2),
 *   backupAttempt there completes from the checkpoint, the job completes.
 * backup-job-isolated-node-*: backupAttempt on node-2's queue; node-2 frozen (SIGSTOP) and the app
 *   moved: an appMoved signal, the attempt's cancel request (TRY_CANCEL, it does not wait for the
 *   frozen node), endAttempt, the checkpoint read on node-1, beginAttempt (epoch 2), backupAttempt
 *   on node-1 completes; attempt 1's activity is closed by its heartbeat timeout meanwhile (the
 *   frozen node never answered the cancel), and the woken node-2's late write was fenced (the
 *   catalog's write-fenced event, which the recorder waited for; it is not in this history).
 * coordinator-continue-as-new-*: the coordinator's first run: the startBackup update starts a
 *   backupJob child, then the run continues as new with that job in its carried state.
 * coordinator-continue-as-new-job-finished-*: a later run of the same coordinator, started with the
 *   job still running in its input, that hears the job's jobFinished signal.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const dir = resolve(__dirname, '..', '..', '..', 'test', 'histories');

interface Payloads {
  payloads?: { data?: string }[];
}
interface Event {
  eventId: string;
  eventType: string;
  [attributes: string]: unknown;
}
interface Activity {
  name: string;
  queue: string;
  scheduled: string;
  result: string;
}

function load(prefix: string): Event[] {
  const file = readdirSync(dir).find((f) => f.startsWith(prefix) && /^-[\d.]+\.json$/.test(f.slice(prefix.length)));
  assert.ok(file, `test/histories/${prefix}-<version>.json`);
  return (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: Event[] }).events;
}

function attrs(e: Event, kind: string): Record<string, unknown> | undefined {
  return e[`${kind}EventAttributes`] as Record<string, unknown> | undefined;
}

function text(p: Payloads | undefined): string {
  return (p?.payloads ?? []).map((x) => Buffer.from(x.data ?? '', 'base64').toString()).join('');
}

/** The activities scheduled, in order, each with its queue and its completed result (or '' when none). */
function activities(events: Event[]): Activity[] {
  const done = new Map<string, string>();
  for (const e of events) {
    const c = attrs(e, 'activityTaskCompleted');
    if (c) done.set(String(c.scheduledEventId), text(c.result as Payloads) || 'completed');
  }
  return events.flatMap((e) => {
    const s = attrs(e, 'activityTaskScheduled') as
      { activityType: { name: string }; taskQueue: { name: string } } | undefined;
    if (!s) return [];
    const result = done.get(e.eventId) ?? '';
    return [{ name: s.activityType.name, queue: s.taskQueue.name, scheduled: e.eventId, result }];
  });
}

function timeoutOf(events: Event[], scheduled: string): string | undefined {
  for (const e of events) {
    const t = attrs(e, 'activityTaskTimedOut') as
      { scheduledEventId: string; failure: { timeoutFailureInfo?: { timeoutType: string } } } | undefined;
    if (t && String(t.scheduledEventId) === scheduled) return t.failure.timeoutFailureInfo?.timeoutType;
  }
  return undefined;
}

/** The two backupAttempts: attempt 1 never completes, attempt 2 completes on another node's queue. */
function twoAttempts(events: Event[]): [Activity, Activity] {
  const attempts = activities(events).filter((a) => a.name === 'backupAttempt');
  assert.equal(attempts.length, 2, JSON.stringify(attempts));
  const [first, second] = attempts;
  assert.equal(first.result, '', 'attempt 1 never completed');
  assert.match(second.result, /"snapshotId":"[0-9a-f]{64}"/, 'attempt 2 completed with a snapshot');
  assert.notEqual(first.queue, second.queue, 'attempt 2 ran on another node');
  const epochs = activities(events)
    .filter((a) => a.name === 'beginAttempt')
    .map((a) => a.result);
  assert.deepEqual(epochs, ['1', '2'], 'attempt 2 runs under a higher epoch');
  const between = activities(events)
    .filter((a) => Number(a.scheduled) > Number(first.scheduled) && Number(a.scheduled) < Number(second.scheduled))
    .map((a) => a.name);
  assert.ok(between.includes('latestCheckpoint') && between.includes('canReadCheckpoint'), between.join());
  assert.equal(events.at(-1)?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  return [first, second];
}

test('backup-job-node-failure: a heartbeat timeout ends attempt 1, attempt 2 resumes on another node and succeeds', () => {
  const events = load('backup-job-node-failure');
  const [first] = twoAttempts(events);
  assert.equal(timeoutOf(events, first.scheduled), 'TIMEOUT_TYPE_HEARTBEAT');
  assert.ok(
    !events.some((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED'),
    'nothing cancelled attempt 1: the dead node could not have answered',
  );
  const resumed = activities(events).find((a) => a.name === 'latestCheckpoint');
  assert.match(resumed?.result ?? '', /"epoch":1/, 'attempt 2 read attempt 1 checkpoint');
});

test('backup-job-isolated-node: the app moved off a frozen node, attempt 1 is cancelled without waiting, attempt 2 succeeds', () => {
  const events = load('backup-job-isolated-node');
  const [first, second] = twoAttempts(events);
  const moved = events.findIndex(
    (e) => (attrs(e, 'workflowExecutionSignaled') as { signalName?: string })?.signalName === 'appMoved',
  );
  const cancel = events.findIndex(
    (e) => String(attrs(e, 'activityTaskCancelRequested')?.scheduledEventId) === first.scheduled,
  );
  assert.ok(moved > 0 && cancel > moved, `appMoved at ${moved}, cancel of attempt 1 at ${cancel}`);
  const secondAt = events.findIndex((e) => e.eventId === second.scheduled);
  assert.ok(cancel < secondAt, 'attempt 2 started without waiting for the frozen node');
  assert.equal(timeoutOf(events, first.scheduled), 'TIMEOUT_TYPE_HEARTBEAT', 'the frozen node never answered');
});

function startedChild(events: Event[]): string {
  const child = events
    .map(
      (e) => attrs(e, 'startChildWorkflowExecutionInitiated') as { workflowId: string; workflowType: { name: string } },
    )
    .find((a) => a?.workflowType.name === 'backupJob');
  assert.ok(child, 'a backupJob child');
  return child.workflowId;
}

test('coordinator-continue-as-new: the run continues as new with the backup it started still running', () => {
  const events = load('coordinator-continue-as-new');
  const jobId = startedChild(events);
  const last = events.at(-1);
  assert.equal(last?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
  const carried = JSON.parse(text(attrs(last, 'workflowExecutionContinuedAsNew')?.input as Payloads)) as {
    state: { running: { jobId: string; state: string }[] };
  };
  assert.deepEqual(
    carried.state.running.map((j) => [j.jobId, j.state]),
    [[jobId, 'running']],
  );
  const finished = events.filter(
    (e) => (attrs(e, 'workflowExecutionSignaled') as { signalName?: string })?.signalName === 'jobFinished',
  );
  assert.equal(finished.length, 0, 'the job had not finished in this run');

  const later = load('coordinator-continue-as-new-job-finished');
  const started = attrs(later[0], 'workflowExecutionStarted') as { initiator: string; input: Payloads };
  assert.equal(started.initiator, 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW');
  assert.ok(text(started.input).includes(jobId), 'the later run started with the job in its state');
  const heard = later
    .map((e) => attrs(e, 'workflowExecutionSignaled') as { signalName?: string; input?: Payloads } | undefined)
    .filter((s) => s?.signalName === 'jobFinished');
  assert.equal(heard.length, 1);
  assert.ok(text(heard[0]?.input).includes(jobId), 'the later run heard that job finish');
});
