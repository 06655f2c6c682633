import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { nodeHealth } from '../../../src/workers/node-health';

const worker = (state: string) => ({ getState: () => state }) as unknown as Worker;

void test('healthy only while every worker runs and Temporal answered within 5 s', () => {
  const health = (states: string[], silentMs: number) =>
    nodeHealth({ node: 'n1', workers: () => states.map(worker), watch: { msSinceReached: () => silentMs } });
  assert.deepEqual(health(['RUNNING', 'RUNNING'], 800), {
    ok: true,
    node: 'n1',
    workers: ['RUNNING', 'RUNNING'],
    temporal: 'reached',
  });
  assert.deepEqual(health(['RUNNING', 'RUNNING'], 12_000), {
    ok: false,
    node: 'n1',
    workers: ['RUNNING', 'RUNNING'],
    temporal: 'not reached for 12 s',
  });
  assert.equal(health(['RUNNING', 'STOPPING'], 0).ok, false);
  assert.deepEqual(health([], 0).workers, 'starting');
  assert.equal(health([], 0).ok, false);
});
