/**
 * Replays every committed history (test/histories, recorded from real runs by
 * `npm run record-histories`) against today's workflow bundle. A change to a workflow's command
 * sequence that is not patched fails here with a DeterminismViolationError.
 *
 * coordinator-0.1.0.json: start, savePlan activity, observeHost local-activity markers and 1 s timers,
 *   a startBackup update that starts the backup-job child, the job's jobFinished signal, more ticks.
 * backup-job-0.1.0.json: recordJobStarted, backupApp on baton-node-node-2 with progress signals,
 *   recordJobFinished, the jobFinished signal to the coordinator, completion.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { DeterminismViolationError } from '@temporalio/workflow';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH } from '../../src/workers/workflow-bundle';

const dir = resolve(__dirname, '..', '..', '..', 'test', 'histories');

interface HistoryJson {
  events: { eventType: string; workflowExecutionStartedEventAttributes?: { workflowType: { name: string } } }[];
}

function load(file: string): HistoryJson {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as HistoryJson;
}

Runtime.install({ logger: new DefaultLogger('WARN') });

const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are recorded histories for the coordinator and the backup job', () => {
  assert.ok(
    files.some((f) => f.startsWith('coordinator-')),
    files.join(),
  );
  assert.ok(
    files.some((f) => f.startsWith('backup-job-')),
    files.join(),
  );
});

for (const file of files) {
  test(`replays ${file} deterministically`, async () => {
    await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, load(file), file);
  });
}

test('a history replayed against the wrong workflow code is caught', async () => {
  const file = files.find((f) => f.startsWith('backup-job-'));
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
