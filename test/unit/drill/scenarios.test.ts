import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/model/errors';
import { otherOnlineNode } from '../../../src/demo/cluster-control';
import { expectationProblems } from '../../../src/drill/expectations';
import type { DrillAttempt } from '../../../src/drill/report';
import { SCENARIOS, parseScenario } from '../../../src/drill/scenarios';

test('scenario names parse; a bad one names the good ones', () => {
  for (const s of SCENARIOS) assert.equal(parseScenario(s), s);
  assert.throws(
    () => parseScenario('app-fail'),
    (err: unknown) =>
      err instanceof UserError && /app-failover, node-failure, coordinator-failover, fencing/.test(err.message),
  );
});

test('the other online node skips offline and excluded nodes', () => {
  const map = { nodes: { 'node-1': 'online', 'node-2': 'offline', 'node-3': 'online' } as const, apps: {} };
  assert.equal(otherOnlineNode({ ...map, nodes: { ...map.nodes } }, ['node-1']), 'node-3');
  assert.equal(otherOnlineNode({ ...map, nodes: { ...map.nodes } }, ['node-1', 'node-3']), null);
});

const attempt = (number: number, node: string, outcome: string, restart = number > 1): DrillAttempt => ({
  number,
  node,
  drive: `${node}-disk`,
  epoch: number,
  outcome,
  started_at: '',
  ended_at: '',
  restart: restart ? { kind: 'checkpoint', reason: 'r' } : null,
});

test('expectations: a clean restart drill has no problems, a wrong outcome or node is named', () => {
  const facts = {
    faultNode: 'node-1',
    movedTo: 'node-2',
    coordinatorHostAfter: null,
    fencedNode: null,
  };
  assert.deepEqual(
    expectationProblems('app-failover', {
      ...facts,
      attempts: [attempt(1, 'node-1', 'moved'), attempt(2, 'node-2', 'succeeded')],
    }),
    [],
  );
  assert.deepEqual(
    expectationProblems('node-failure', {
      ...facts,
      attempts: [attempt(1, 'node-1', 'moved'), attempt(2, 'node-3', 'succeeded')],
    }),
    [
      'expected attempt 1 on node-1 to end timed-out, it ran on node-1 and ended moved',
      'expected attempt 2 to succeed on node-2, it ran on node-3 and ended succeeded',
    ],
  );
  assert.match(
    expectationProblems('fencing', {
      ...facts,
      attempts: [attempt(1, 'node-1', 'moved'), attempt(2, 'node-2', 'succeeded')],
    }).join(),
    /no write-fenced event from node-1/,
  );
  assert.deepEqual(
    expectationProblems('coordinator-failover', {
      ...facts,
      movedTo: null,
      faultNode: 'node-3',
      coordinatorHostAfter: 'node-2',
      attempts: [attempt(1, 'node-1', 'succeeded')],
    }),
    [],
  );
});
