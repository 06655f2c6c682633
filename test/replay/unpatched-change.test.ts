/**
 * The negative replay test, on real code: retention-0.1.0.json (recordOperationStarted,
 * applyRetention on node-2, recordOperationFinished, the retentionFinished signal) replayed
 * against the real retention job with a timer added before its first activity. Without a patch
 * the replay fails with a DeterminismViolationError (the history's first command is an activity,
 * the code's a timer); with the same change behind patched('retention-waits-a-second') it replays
 * clean, because the history has no marker and patched() answers false.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';

const dir = resolve(__dirname, '..', '..', '..', 'test', 'histories');
const quiet = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: console.error, log: () => {} };

Runtime.install({ logger: new DefaultLogger('WARN') });

function history(): unknown {
  const file = readdirSync(dir).find((f) => f.startsWith('retention-') && f.endsWith('.json'));
  assert.ok(file, 'test/histories/retention-*.json');
  return JSON.parse(readFileSync(join(dir, file), 'utf8'));
}

function bundle(fixture: string): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: require.resolve(`./fixtures/${fixture}`), logger: quiet });
}

let unpatched: WorkflowBundle;
let patchedBundle: WorkflowBundle;
before(async () => {
  [unpatched, patchedBundle] = await Promise.all([
    bundle('retention-job-timer-added'),
    bundle('retention-job-timer-patched'),
  ]);
});

test('a timer added to the retention job without a patch fails replay of a recorded history', async () => {
  await assert.rejects(
    Worker.runReplayHistory({ workflowBundle: unpatched }, history(), 'timer-added'),
    (err: unknown) => err instanceof DeterminismViolationError,
  );
});

test('the same timer behind patched() replays the recorded history clean', async () => {
  await Worker.runReplayHistory({ workflowBundle: patchedBundle }, history(), 'timer-patched');
});
