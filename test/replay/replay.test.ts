/**
 * Replays every committed history (test/histories, recorded from real runs by
 * `npm run record-histories`) against today's workflow bundle. A change to a workflow's command
 * sequence that is not patched fails here with a DeterminismViolationError.
 *
 * Recorded before queues named their cluster: the activities ran on baton-node-<node>. Task queues
 * are not part of what a replay checks, a child's workflow ID is (coordinator-failover: the patch
 * backup-ids-name-their-cluster).
 *
 * backup-job-*: recordJobStarted, beginAttempt, backupAttempt on baton-node-node-2 with progress
 *   signals, endAttempt, recordJobFinished, the jobFinished signal to the coordinator.
 * backup-job-app-failover-*: the same, but an appMoved signal mid-way cancels attempt 1 on node-1
 *   (TRY_CANCEL), latestCheckpoint and canReadCheckpoint on node-3, attempt 2 from the checkpoint.
 *   The -committed-wins one: behind the patch marker job-committed-attempt-wins, settleMovedAttempt
 *   (fence attempt 1, then ask whether it committed: it had not) before endAttempt (moved).
 * backup-job-drive-line-*: behind the patch marker job-waits-in-line-for-its-drive, sample-db's backup
 *   asks beginAttemptInLine, waits in node-2's drive's line behind drill-db's, is woken by its
 *   driveFreed signal and asks again; the -holder one ends and signals it (recordJobFinished's wake).
 * backup-job-drive-swap-*: behind the patch marker job-wakes-the-line-of-a-drive-it-leaves, sample-db
 *   and drill-db swap nodes mid-backup: the waiter's second attempt asks beginAttemptInLine, waits for
 *   the drive the other held and is woken by driveFreed; the -taker one signals it before its
 *   second attempt runs (beginAttemptInLine's wake), not at its end.
 * backup-job-cancelled-*: a backup of drill-db cancelled mid-way: the cancel request cancels the
 *   attempt (TRY_CANCEL), then behind the patch marker job-ends-on-any-exit endAttempt (cancelled),
 *   recordJobFinished and the jobFinished signal run in a non-cancellable scope; the job ends CANCELED.
 * scheduled-backup-0.1.0: a schedule's run: requestScheduledBackup, then awaitJob (before the patch).
 * scheduled-backup-0.1.0-patched, scheduled-backup-failed-0.1.0-patched: the patch marker
 *   scheduled-run-fails-with-its-backup, awaitJobEnd, and the run completed, or failed with its
 *   backup's error (the app's data gone).
 * restore-*: resolveRestoreSource (catalog), checkRestoreTarget then restoreSnapshot on
 *   baton-node-node-3 with operationProgress signals, recordOperationStarted/Finished, search attributes.
 * verify-*: recordOperationStarted, verifyDrive on baton-node-node-2 (reading all data) that finds a
 *   flipped byte, recordOperationFinished, and the workflow failing with DriveDamaged.
 * coordinator-failover-*: start, savePlan, syncSchedules, observeHost markers and 1 s timers,
 *   startBackup updates starting children, appMoved signals to a job, jobFinished signals, then
 *   its host is SIGKILLed: observeHost on another node, the coordinator-failover event, ticks.
 *   The -handover one: behind the patch marker coordinator-tells-handover-from-failover, the same
 *   kill recorded as coordinator-handover (the killed process's node is online in the static map).
 *   The -starts-at-once one: behind the patch marker coordinator-starts-backups-at-once, each
 *   startBackup plans its job under the lock and starts the child after releasing it.
 *   The -moves-at-once one: behind the patch marker coordinator-reports-moves-at-once, the app
 *   moves of one observation told and recorded together. The -reconciles-at-once one: behind the
 *   patch marker coordinator-reconciles-at-once, the move and each running job's reconcile event
 *   recorded by one recordEvents activity. The -observes-between-configures one: behind the patch
 *   marker coordinator-observes-between-configures, no observeHost while a configure is applied.
 *   The -hears-host-by-signal one (and coordinator-continue-as-new's): behind the patch marker
 *   coordinator-hears-host-by-signal, reportHost markers and the hostReport signals acted on.
 * coordinator-continue-as-new-*: see fault-histories.test.ts; the -hands-over-between-ticks ones
 *   behind the patch marker coordinator-hands-over-between-ticks (a due run's tick wait ends when
 *   it may hand over); the -hands-over-on-job-end ones behind coordinator-hands-over-on-job-end
 *   (a job's end notes whether the run is due, as a request's answer does); the -answers-repeats
 *   ones behind coordinator-answers-repeats, with coordinator-repeated-request: a later run taking
 *   the backup's request again under its update ID and answering with that backup.
 * coordinator-retention-*: a configure update giving sample-db keep {last: 1}, a backup whose
 *   jobFinished signal makes node-2's drive due, the patch marker coordinator-applies-retention,
 *   the retentionJob child and its retentionFinished signal.
 * retention-*: recordOperationStarted, applyRetention on baton-node-node-2 (forgets one snapshot),
 *   recordOperationFinished, the retentionFinished signal to the coordinator.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { DeterminismViolationError } from '@temporalio/workflow';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH } from '../../src/workers/workflow-bundle';
import { configureSpans, observationsAt, observationsDuringConfigures } from '../helpers/configure-observations';

const dir = resolve(__dirname, '..', '..', '..', 'test', 'histories');

interface HistoryJson {
  events: {
    eventType: string;
    workflowExecutionStartedEventAttributes?: {
      workflowType: { name: string };
      input?: { payloads: { data: string }[] };
      parentWorkflowExecution?: unknown;
    };
    markerRecordedEventAttributes?: { markerName: string; details?: Record<string, { payloads: { data: string }[] }> };
    activityTaskScheduledEventAttributes?: {
      activityType: { name: string };
      input?: { payloads: { data: string }[] };
    };
    signalExternalWorkflowExecutionInitiatedEventAttributes?: { signalName: string };
    workflowExecutionSignaledEventAttributes?: { signalName: string };
    workflowExecutionUpdateAcceptedEventAttributes?: {
      acceptedRequest: {
        meta?: { updateId: string };
        input: { name: string; args?: { payloads: { data: string }[] } };
      };
    };
    workflowExecutionUpdateCompletedEventAttributes?: {
      meta?: { updateId: string };
      outcome: { success?: { payloads: { data: string }[] } };
    };
    startChildWorkflowExecutionInitiatedEventAttributes?: { workflowType: { name: string } };
  }[];
}

function load(file: string): HistoryJson {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as HistoryJson;
}

/** Where the marker of patch `id` is among `events`; -1 when none carries it. */
function patchMarkerAt(events: HistoryJson['events'], id: string): number {
  return events.findIndex((e) =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {}).some((d) =>
      d.payloads.some((p) => Buffer.from(p.data, 'base64').toString().includes(id)),
    ),
  );
}

Runtime.install({ logger: new DefaultLogger('WARN') });

const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

/**
 * The events of the history named `prefix`*`suffix`, from the marker of patch `id` on; asserts both
 * are there.
 */
function fromPatch(prefix: string, suffix: string, id: string): HistoryJson['events'] {
  const file = files.find((f) => f.startsWith(prefix) && f.endsWith(suffix));
  assert.ok(file, `${prefix}*${suffix}`);
  const { events } = load(file);
  const marker = patchMarkerAt(events, id);
  assert.ok(marker > 0, `the patch marker ${id}`);
  return events.slice(marker);
}

test('there are recorded histories for the coordinator, jobs, failover paths, schedules, restores and verifies', () => {
  assert.ok(
    files.some((f) => f.startsWith('coordinator-')),
    files.join(),
  );
  assert.ok(
    files.some((f) => f.startsWith('backup-job-')),
    files.join(),
  );
  for (const kind of ['restore-', 'verify-'])
    assert.ok(
      files.some((f) => f.startsWith(kind)),
      files.join(),
    );
});

for (const file of files) {
  test(`replays ${file} deterministically`, async () => {
    await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, load(file), file);
  });
}

test('a history replayed against the wrong workflow code is caught', async () => {
  const file = files.find((f) => f.startsWith('backup-job-app-failover-'));
  assert.ok(file);
  const history = load(file);
  const started = history.events[0].workflowExecutionStartedEventAttributes;
  assert.ok(started);
  started.workflowType.name = 'coordinator';
  await assert.rejects(
    Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, history, 'tampered'),
    (err: unknown) => err instanceof DeterminismViolationError,
  );
});

test('the patched scheduled runs carry the patch; the one whose backup failed failed', () => {
  for (const [prefix, end] of [
    ['scheduled-backup-0.', 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'],
    ['scheduled-backup-failed-', 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED'],
  ]) {
    const file = files.find((f) => f.startsWith(prefix) && f.endsWith('-patched.json'));
    assert.ok(file, `${prefix}*-patched.json`);
    const { events } = load(file);
    const patches = events.flatMap((e) =>
      Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((d) =>
        d.payloads.map((p) => Buffer.from(p.data, 'base64').toString()),
      ),
    );
    assert.ok(
      patches.some((p) => p.includes('scheduled-run-fails-with-its-backup')),
      patches.join(),
    );
    assert.equal(events.at(-1)?.eventType, end);
  }
});

test('a job in line for its drive carries its patch, asks again when woken; the job that held the drive wakes it', () => {
  const waiter = fromPatch('backup-job-drive-line-0', '.json', 'job-waits-in-line-for-its-drive');
  const asked = waiter.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'beginAttemptInLine',
  );
  assert.ok(asked.length >= 2, `asked ${asked.length} times: once in line, once woken`);
  assert.ok(
    waiter.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'driveFreed'),
    'a driveFreed signal',
  );
  const holder = fromPatch('backup-job-drive-line-holder-0', '.json', 'job-waits-in-line-for-its-drive');
  assert.ok(
    holder.some((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'driveFreed'),
    'the holder signals driveFreed',
  );
});

test('two jobs whose apps swapped nodes carry the patch; the taker wakes the waiter as it begins, before it ends', () => {
  const id = 'job-wakes-the-line-of-a-drive-it-leaves';
  const waiter = fromPatch('backup-job-drive-swap-0', '.json', id);
  assert.ok(
    waiter.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'driveFreed'),
    'the waiter is woken by driveFreed',
  );
  const taker = fromPatch('backup-job-drive-swap-taker-0', '.json', id);
  const woke = taker.findIndex(
    (e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'driveFreed',
  );
  const lastBackup = taker
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType.name)
    .lastIndexOf('backupAttempt');
  assert.ok(woke > 0 && lastBackup > woke, `driveFreed at ${woke}, the last backup attempt scheduled at ${lastBackup}`);
});

test('the coordinator that reports moves at once carries its patch and tells a moved job', () => {
  const after = fromPatch('coordinator-failover-', '-moves-at-once.json', 'coordinator-reports-moves-at-once');
  assert.ok(
    after.some((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'appMoved'),
    'an appMoved signal after the marker',
  );
});

test('the coordinator that reconciles at once records its move and the jobs in one recordEvents', () => {
  const after = fromPatch('coordinator-failover-', '-reconciles-at-once.json', 'coordinator-reconciles-at-once');
  const recorded = after
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a?.activityType.name === 'recordEvents');
  assert.equal(recorded.length, 1, 'one recordEvents after the kill');
  const batch = JSON.parse(Buffer.from(recorded[0]?.input?.payloads[0].data ?? '', 'base64').toString()) as {
    kind: string;
  }[];
  assert.match(batch[0].kind, /^coordinator-(handover|failover)$/);
});

test('the coordinator that hands over between ticks carries its patch and continues as new', () => {
  const after = fromPatch(
    'coordinator-continue-as-new-0',
    '-between-ticks.json',
    'coordinator-hands-over-between-ticks',
  );
  assert.equal(after.at(-1)?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
});

test('the coordinator that observes between configures records no observation while one is applied', () => {
  const after = fromPatch(
    'coordinator-failover-0',
    '-observes-between-configures.json',
    'coordinator-observes-between-configures',
  );
  assert.ok(configureSpans(after).length > 0, 'a configure update');
  assert.ok(
    configureSpans(after).every(({ completed }) => completed >= 0),
    'every configure completed',
  );
  assert.ok(observationsAt(after).length > 0, 'observeHost markers');
  assert.deepEqual(observationsDuringConfigures(after), [], 'no observeHost marker while a configure ran');
});

test('the coordinator that hears its host by signal acts on hostReport signals, never on observeHost', () => {
  for (const [prefix, suffix] of [
    ['coordinator-failover-0', '-hears-host-by-signal.json'],
    ['coordinator-continue-as-new-0', '-hears-host-by-signal.json'],
  ]) {
    const after = fromPatch(prefix, suffix, 'coordinator-hears-host-by-signal');
    const signals = after.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName);
    assert.ok(signals.includes('hostReport'), `${prefix}*${suffix}: a hostReport signal`);
    const localActivities = after.flatMap((e) =>
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity'
        ? Object.values(e.markerRecordedEventAttributes.details ?? {}).flatMap((d) =>
            d.payloads.map((p) => Buffer.from(p.data, 'base64').toString()),
          )
        : [],
    );
    assert.ok(
      localActivities.some((d) => d.includes('reportHost')),
      `${prefix}*${suffix}: reportHost markers`,
    );
    assert.ok(
      localActivities.every((d) => !d.includes('observeHost')),
      `${prefix}*${suffix}: no observeHost after the patch marker`,
    );
  }
});

test('the cancelled backup carries the patch, records its end, tells the coordinator and ends cancelled', () => {
  const file = files.find((f) => /^backup-job-cancelled-[\d.]+\.json$/.test(f));
  assert.ok(file, 'backup-job-cancelled-<version>.json');
  const { events } = load(file);
  const marker = patchMarkerAt(events, 'job-ends-on-any-exit');
  assert.ok(marker > 0, 'the patch marker job-ends-on-any-exit');
  const after = events
    .slice(marker)
    .map(
      (e) =>
        e.activityTaskScheduledEventAttributes?.activityType.name ??
        e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName,
    );
  assert.deepEqual(
    after.filter((x) => x !== undefined),
    ['endAttempt', 'recordJobFinished', 'jobFinished'],
  );
  assert.equal(events.at(-1)?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED');
});

test('the backups behind job-reports-end-by-update tell the coordinator by reportJobEnd, not by signal', () => {
  for (const [prefix, end] of [
    ['backup-job-0.', 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'],
    ['backup-job-cancelled-', 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED'],
  ]) {
    const events = fromPatch(prefix, '-reports-end-by-update.json', 'job-reports-end-by-update');
    const told = events.map(
      (e) =>
        e.activityTaskScheduledEventAttributes?.activityType.name ??
        e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName,
    );
    assert.deepEqual(told.filter((x) => x !== undefined).slice(-2), ['recordJobFinished', 'reportJobEnd'], prefix);
    assert.ok(!told.includes('jobFinished'), `${prefix}: no jobFinished signal`);
    assert.equal(events.at(-1)?.eventType, end, prefix);
  }
  const file = files.find((f) => /^coordinator-continue-as-new-job-finished-.*-reports-end-by-update\.json$/.test(f));
  assert.ok(file, 'coordinator-continue-as-new-job-finished-*-reports-end-by-update.json');
  const heard = load(file).events.flatMap((e) => {
    const signal = e.workflowExecutionSignaledEventAttributes?.signalName;
    const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest.input.name;
    return signal ? [`signal:${signal}`] : update ? [`update:${update}`] : [];
  });
  assert.ok(heard.includes('update:jobEnded'), heard.join());
  assert.ok(!heard.includes('signal:jobFinished'), heard.join());
});

test('behind coordinator-lets-requesters-start-jobs the coordinator plans a job its requester starts, and the job keeps its window', () => {
  const after = fromPatch(
    'coordinator-continue-as-new-0.',
    '-requesters-start-jobs.json',
    'coordinator-lets-requesters-start-jobs',
  );
  const requests = after.flatMap((e) => {
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest.input;
    return accepted?.name === 'startBackup' ? [accepted] : [];
  });
  assert.equal(requests.length, 1, 'the run took the backup request');
  assert.ok(
    requests[0].args?.payloads.some((p) => Buffer.from(p.data, 'base64').toString().includes('"startsJob":true')),
    'its requester starts the job',
  );
  const children = after.filter(
    (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType.name === 'backupJob',
  );
  assert.deepEqual(children, [], 'no backup child');
  const jobFile = files.find((f) => /^backup-job-0\..*-requesters-start-jobs\.json$/.test(f));
  assert.ok(jobFile, 'backup-job-0.*-requesters-start-jobs.json');
  const { events } = load(jobFile);
  assert.ok(patchMarkerAt(events, 'job-starts-within-its-window') > 0, 'the patch marker job-starts-within-its-window');
  const started = events[0].workflowExecutionStartedEventAttributes;
  assert.equal(started?.parentWorkflowExecution ?? undefined, undefined, 'started by its requester, not as a child');
  const input = Buffer.from(started?.input?.payloads[0].data ?? '', 'base64').toString();
  assert.match(input, /"startBy":"\d{4}-/);
  assert.equal(events.at(-1)?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
});

test('behind coordinator-hands-over-on-job-end the runs that hear jobs end continue as new', () => {
  for (const prefix of ['coordinator-continue-as-new-0.', 'coordinator-continue-as-new-job-finished-0.']) {
    const after = fromPatch(prefix, '-hands-over-on-job-end.json', 'coordinator-hands-over-on-job-end');
    assert.equal(after.at(-1)?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW', prefix);
  }
  const ended = fromPatch(
    'coordinator-continue-as-new-job-finished-0.',
    '-hands-over-on-job-end.json',
    'coordinator-hands-over-on-job-end',
  );
  assert.ok(
    ended.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest.input?.name === 'jobEnded'),
    'a jobEnded update',
  );
});

test('behind coordinator-answers-repeats a later run answers a request asked again with its job, and starts none', () => {
  const json = (p: { data: string } | undefined) =>
    JSON.parse(Buffer.from(p?.data ?? '', 'base64').toString()) as unknown;
  // the job's ID, node and drive (the first answer also carries the plan its requester started)
  const answered = (events: HistoryJson['events']) =>
    events.flatMap((e) => {
      const done = e.workflowExecutionUpdateCompletedEventAttributes;
      const payload = done?.outcome.success?.payloads[0];
      if (!done?.meta || !payload) return [];
      const { jobId, node, drive } = json(payload) as { jobId: string; node: string; drive: string };
      return [{ updateId: done.meta.updateId, answer: { jobId, node, drive } }];
    });
  const [first] = answered(
    fromPatch('coordinator-continue-as-new-0.', '-answers-repeats.json', 'coordinator-answers-repeats'),
  );
  assert.ok(first, 'the first run answered the request');
  const again = fromPatch('coordinator-repeated-request-0.', '-answers-repeats.json', 'coordinator-answers-repeats');
  assert.deepEqual(answered(again), [first], 'asked again under its update ID: the same job');
  const file = files.find((f) => /^coordinator-repeated-request-0\..*-answers-repeats\.json$/.test(f));
  const carried = json(load(file ?? '').events[0].workflowExecutionStartedEventAttributes?.input?.payloads[0]) as {
    state: { answers?: { updateId: string; jobId: string }[] };
  };
  assert.ok(
    carried.state.answers?.some((a) => a.updateId === first.updateId && a.jobId === first.answer.jobId),
    'the answer came in the state carried from the run before',
  );
  assert.deepEqual(
    again.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes),
    [],
    'no backup started for it',
  );
});

test('the coordinator starts a retention child only behind its patch, and the retention job tells it its end', () => {
  const file = files.find((f) => f.startsWith('coordinator-retention-'));
  assert.ok(file, 'coordinator-retention-*.json');
  const { events } = load(file);
  const marker = patchMarkerAt(events, 'coordinator-applies-retention');
  const child = events.findIndex(
    (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType.name === 'retentionJob',
  );
  assert.ok(marker > 0 && child > marker, `marker at ${marker}, retention child at ${child}`);
  const job = files.find((f) => f.startsWith('retention-'));
  assert.ok(job, 'retention-*.json');
  const steps = load(job).events.map(
    (e) =>
      e.activityTaskScheduledEventAttributes?.activityType.name ??
      e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName,
  );
  assert.deepEqual(
    steps.filter((x) => x !== undefined),
    ['recordOperationStarted', 'applyRetention', 'recordOperationFinished', 'retentionFinished'],
  );
});

test('the app-failover job behind job-committed-attempt-wins settles its moved attempt before the next one', () => {
  const file = 'backup-job-app-failover-0.1.0-committed-wins.json';
  assert.ok(files.includes(file), file);
  const { events } = load(file);
  const marker = patchMarkerAt(events, 'job-committed-attempt-wins');
  assert.ok(marker > 0, 'the patch marker job-committed-attempt-wins');
  const steps = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType.name ?? []);
  // fence and check (nothing committed: the move came mid-backup), then attempt 2 from the checkpoint
  assert.deepEqual(steps.slice(2, 7), [
    'backupAttempt',
    'settleMovedAttempt',
    'endAttempt',
    'latestCheckpoint',
    'canReadCheckpoint',
  ]);
});

/** The kinds of the catalog events a history's recordEvent activities recorded, in order. */
function recordedKinds(events: HistoryJson['events']): string[] {
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'recordEvent')
    .map((e) => {
      const data = e.activityTaskScheduledEventAttributes?.input?.payloads[0]?.data ?? '';
      return (JSON.parse(Buffer.from(data, 'base64').toString()) as { kind: string }).kind;
    });
}

test('a coordinator move is a hand-over only behind its patch: the killed process left its node online', () => {
  const before = recordedKinds(load('coordinator-failover-0.1.0.json').events);
  assert.ok(before.includes('coordinator-failover') && !before.includes('coordinator-handover'), before.join());
  const { events } = load('coordinator-failover-0.1.0-handover.json');
  const marker = patchMarkerAt(events, 'coordinator-tells-handover-from-failover');
  assert.ok(marker > 0, 'the patch marker coordinator-tells-handover-from-failover');
  const after = recordedKinds(events);
  assert.ok(after.includes('coordinator-handover') && !after.includes('coordinator-failover'), after.join());
});
