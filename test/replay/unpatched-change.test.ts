/**
 * The negative replay tests, on real code: a recorded history replayed against the real workflow
 * with a timer added before its first command. Without a patch the replay fails with a
 * DeterminismViolationError (the history's first command is not a timer); with the same change
 * behind patched() it replays clean, because the history has no marker and patched() answers false.
 *   retention-0.1.0.json (recordOperationStarted, applyRetention on node-2, ...) against the
 *     retention job, unpatched and behind patched('retention-waits-a-second');
 *   backup-job-node-failure-0.1.0.json (recordJobStarted, two attempts, ...) against the backup
 *     job, unpatched and behind patched('backup-job-waits-a-second');
 *   coordinator-continue-as-new-0.1.0.json (its patch markers, savePlan, ...) against the
 *     coordinator, unpatched (fixtures/coordinator-timer-added.ts, which
 *     scripts/capture-stuck-shapes.ts also runs as a worker to make a stuck coordinator).
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

function history(prefix = 'retention-'): unknown {
  const file = readdirSync(dir).find((f) => f.startsWith(prefix) && /^\d/.test(f.slice(prefix.length)));
  assert.ok(file, `test/histories/${prefix}<version>.json`);
  return JSON.parse(readFileSync(join(dir, file), 'utf8'));
}

function bundle(fixture: string): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: require.resolve(`./fixtures/${fixture}`), logger: quiet });
}

let unpatched: WorkflowBundle;
let patchedBundle: WorkflowBundle;
let backupUnpatched: WorkflowBundle;
let backupPatched: WorkflowBundle;
let coordinatorUnpatched: WorkflowBundle;
before(async () => {
  [unpatched, patchedBundle, backupUnpatched, backupPatched, coordinatorUnpatched] = await Promise.all([
    bundle('retention-job-timer-added'),
    bundle('retention-job-timer-patched'),
    bundle('backup-job-timer-added'),
    bundle('backup-job-timer-patched'),
    bundle('coordinator-timer-added'),
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

test('a timer added to the backup job without a patch fails replay of a recorded history; behind patched() it replays', async () => {
  const recorded = history('backup-job-node-failure-');
  await assert.rejects(
    Worker.runReplayHistory({ workflowBundle: backupUnpatched }, recorded, 'backup-timer-added'),
    (err: unknown) => err instanceof DeterminismViolationError,
  );
  await Worker.runReplayHistory({ workflowBundle: backupPatched }, recorded, 'backup-timer-patched');
});

test('a timer added to the coordinator without a patch fails replay of a recorded history', async () => {
  await assert.rejects(
    Worker.runReplayHistory(
      { workflowBundle: coordinatorUnpatched },
      history('coordinator-continue-as-new-'),
      'coordinator-timer-added',
    ),
    (err: unknown) => err instanceof DeterminismViolationError,
  );
});
