import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backupWorkflowId,
  compactTime,
  coordinatorQueue,
  coordinatorWorkflowId,
  NAME_PATTERN,
  nodeQueue,
  parseWorkerIdentity,
  restoreWorkflowId,
  scheduleId,
  scheduledRunId,
  searchAttributeDefinitions,
  verifyWorkflowId,
  workerIdentity,
} from '../../../src/model/names';

test('queue names and workflow IDs read well in the Web UI', () => {
  assert.equal(coordinatorQueue('prod'), 'baton-prod-coordinator');
  assert.equal(nodeQueue('prod', 'node-2'), 'baton-prod-node-node-2');
  assert.equal(coordinatorWorkflowId('prod'), 'baton-coordinator-prod');
  const ms = Date.UTC(2026, 10, 27, 1, 23, 45, 678);
  assert.equal(compactTime(ms), '20261127T012345.678Z');
  assert.equal(backupWorkflowId('prod', 'sample-db', ms), 'baton-backup-prod-sample-db-20261127T012345.678Z');
});

test('every queue and workflow ID names its cluster: two clusters with the same node and app names do not meet', () => {
  const ms = Date.UTC(2026, 10, 27);
  const of = (cluster: string) => [
    coordinatorQueue(cluster),
    nodeQueue(cluster, 'node-1'),
    coordinatorWorkflowId(cluster),
    backupWorkflowId(cluster, 'db', ms),
    restoreWorkflowId(cluster, 'db', ms),
    verifyWorkflowId(cluster, 'node-1-disk', ms),
    scheduleId(cluster, 'db'),
    scheduledRunId(cluster, 'db'),
  ];
  const a = of('east');
  const b = of('west');
  for (const name of a) assert.ok(!b.includes(name), name);
});

test('the longest names (63 characters each) stay far below Temporal’s 1000-character limit', () => {
  const longest = 'a'.repeat(63);
  assert.ok(NAME_PATTERN.test(longest));
  const ms = Date.UTC(2026, 10, 27);
  for (const name of [
    nodeQueue(longest, longest),
    coordinatorQueue(longest),
    backupWorkflowId(longest, longest, ms),
    restoreWorkflowId(longest, longest, ms),
    verifyWorkflowId(longest, longest, ms),
    scheduledRunId(longest, longest) + '-' + new Date(ms).toISOString(),
  ])
    assert.ok(name.length <= 200, `${name.length}: ${name}`);
});

test('backup IDs sort by time', () => {
  const a = backupWorkflowId('c', 'x', Date.UTC(2026, 0, 2, 3, 4, 5, 6));
  const b = backupWorkflowId('c', 'x', Date.UTC(2026, 0, 2, 3, 4, 5, 7));
  const c = backupWorkflowId('c', 'x', Date.UTC(2026, 9, 1));
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

test('a worker identity names its node and process, and reads back; other identities are not taken for one', () => {
  const identity = workerIdentity('node-2', 'host.example', 4242);
  assert.equal(identity, 'node-2@host.example:4242');
  assert.deepEqual(parseWorkerIdentity(identity), { node: 'node-2', pid: 4242 });
  assert.deepEqual(parseWorkerIdentity(workerIdentity('n.1', 'h:with:colons', 7)), { node: 'n.1', pid: 7 });
  assert.equal(parseWorkerIdentity('12345@somehost'), null, "the SDK's default identity (pid@host)");
  assert.equal(parseWorkerIdentity(''), null);
  assert.equal(parseWorkerIdentity('Node-2@h:1'), null, 'not a node name');
});
