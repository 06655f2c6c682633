import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  COORDINATOR_QUEUE,
  backupWorkflowId,
  compactTime,
  coordinatorWorkflowId,
  NAME_PATTERN,
  nodeQueue,
  searchAttributeDefinitions,
} from '../../../src/model/names';

test('queue names and workflow IDs read well in the Web UI', () => {
  assert.equal(COORDINATOR_QUEUE, 'baton-coordinator');
  assert.equal(nodeQueue('node-2'), 'baton-node-node-2');
  assert.equal(coordinatorWorkflowId('prod'), 'baton-coordinator-prod');
  const ms = Date.UTC(2026, 10, 27, 1, 23, 45, 678);
  assert.equal(compactTime(ms), '20261127T012345.678Z');
  assert.equal(backupWorkflowId('sample-db', ms), 'baton-backup-sample-db-20261127T012345.678Z');
});

test('backup IDs sort by time', () => {
  const a = backupWorkflowId('x', Date.UTC(2026, 0, 2, 3, 4, 5, 6));
  const b = backupWorkflowId('x', Date.UTC(2026, 0, 2, 3, 4, 5, 7));
  const c = backupWorkflowId('x', Date.UTC(2026, 9, 1));
  assert.deepEqual([c, b, a].sort(), [a, b, c]);
});

const nameCases: { name: string; value: string; valid: boolean }[] = [
  { name: 'simple', value: 'node-1', valid: true },
  { name: 'dots and underscores', value: 'db_1.prod', valid: true },
  { name: 'upper case', value: 'Node1', valid: false },
  { name: 'leading dash', value: '-node', valid: false },
  { name: 'space', value: 'node 1', valid: false },
  { name: 'empty', value: '', valid: false },
  { name: 'too long', value: 'a'.repeat(64), valid: false },
];
for (const c of nameCases) {
  test(`NAME_PATTERN: ${c.name}`, () => assert.equal(NAME_PATTERN.test(c.value), c.valid));
}

test('search attribute definitions for the dev server', () => {
  assert.deepEqual(searchAttributeDefinitions(), [
    'BatonCluster=Keyword',
    'BatonApp=Keyword',
    'BatonNode=Keyword',
    'BatonState=Keyword',
  ]);
});
