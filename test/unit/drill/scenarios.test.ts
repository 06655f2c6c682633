import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/model/errors';
import { otherOnlineNode } from '../../../src/demo/cluster-control';
import type { DrillAttempt } from '../../../src/drill/report';
import type { DrillFacts } from '../../../src/drill/expectations';
import { SCENARIOS, parseScenario } from '../../../src/drill/scenario-names';
import { DRILL_SCENARIOS } from '../../../src/drill/scenarios/all';
import { isFencedOff, notFencedOff } from '../../../src/drill/scenarios/fencing';

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
    coordinatorStayed: false,
    fencedNode: null,
    serviceMovesApps: false,
  };
  assert.deepEqual(
    DRILL_SCENARIOS['app-failover'].expect({
      ...facts,
      attempts: [attempt(1, 'node-1', 'moved'), attempt(2, 'node-2', 'succeeded')],
    }),
    [],
  );
  assert.deepEqual(
    DRILL_SCENARIOS['node-failure'].expect({
      ...facts,
      attempts: [attempt(1, 'node-1', 'moved'), attempt(2, 'node-3', 'succeeded')],
    }),
    [
      'expected attempt 1 on node-1 to end timed-out, it ran on node-1 and ended moved',
      'expected attempt 2 to succeed on node-2, it ran on node-3 and ended succeeded',
    ],
  );
  assert.match(
    DRILL_SCENARIOS['fencing']
      .expect({
        ...facts,
        attempts: [attempt(1, 'node-1', 'moved'), attempt(2, 'node-2', 'succeeded')],
      })
      .join(),
    /no fenced-off event from node-1/,
  );
  assert.deepEqual(
    DRILL_SCENARIOS['coordinator-failover'].expect({
      ...facts,
      movedTo: null,
      faultNode: 'node-3',
      coordinatorHostAfter: 'node-2',
      attempts: [attempt(1, 'node-1', 'succeeded')],
    }),
    [],
  );
});

test('every scenario name has its scenario, under that name', () => {
  for (const s of SCENARIOS) assert.equal(DRILL_SCENARIOS[s].name, s);
  // Only the coordinator failover strikes before the attempt reads past its first checkpoint.
  assert.deepEqual(
    SCENARIOS.filter((s) => !DRILL_SCENARIOS[s].strikesPastCheckpoint),
    ['coordinator-failover'],
  );
});

const restartFacts = {
  faultNode: 'node-1',
  movedTo: 'node-2',
  coordinatorHostAfter: null,
  coordinatorStayed: false,
  fencedNode: null,
  serviceMovesApps: false,
};

test('expectations: a restart drill wants exactly two attempts, a restart decision and a higher epoch', () => {
  assert.deepEqual(
    DRILL_SCENARIOS['app-failover'].expect({ ...restartFacts, attempts: [attempt(1, 'node-1', 'succeeded')] }),
    ['expected 2 attempts, the catalog has 1'],
  );
  const second = { ...attempt(2, 'node-2', 'succeeded', false), epoch: 1 };
  assert.deepEqual(
    DRILL_SCENARIOS['node-failure'].expect({ ...restartFacts, attempts: [attempt(1, 'node-1', 'timed-out'), second] }),
    ['attempt 2 recorded no restart decision', "attempt 2's epoch 1 is not above attempt 1's 1"],
  );
});

test('expectations: node-failure takes moved too where the cluster service moves the app itself (Pacemaker)', () => {
  const attempts = [attempt(1, 'node-1', 'moved'), attempt(2, 'node-2', 'succeeded')];
  assert.deepEqual(DRILL_SCENARIOS['node-failure'].expect({ ...restartFacts, serviceMovesApps: true, attempts }), []);
  assert.deepEqual(DRILL_SCENARIOS['node-failure'].expect({ ...restartFacts, attempts }), [
    'expected attempt 1 on node-1 to end timed-out, it ran on node-1 and ended moved',
  ]);
  const failed = [attempt(1, 'node-1', 'failed'), attempt(2, 'node-2', 'succeeded')];
  assert.deepEqual(
    DRILL_SCENARIOS['node-failure'].expect({ ...restartFacts, serviceMovesApps: true, attempts: failed }),
    ['expected attempt 1 on node-1 to end timed-out or moved, it ran on node-1 and ended failed'],
  );
});

test('expectations: fencing takes moved or timed-out, and wants the fence from the woken node', () => {
  const attempts = [attempt(1, 'node-1', 'timed-out'), attempt(2, 'node-2', 'succeeded')];
  assert.deepEqual(DRILL_SCENARIOS.fencing.expect({ ...restartFacts, fencedNode: 'node-1', attempts }), []);
  assert.deepEqual(DRILL_SCENARIOS.fencing.expect({ ...restartFacts, fencedNode: 'node-2', attempts }), [
    'the fenced-off event came from node-2, not from the woken node-1',
  ]);
});

test('fenced off: a write refused, or a stop that found a newer epoch; not a plain stop', () => {
  const event = (kind: string, data: unknown = null) => ({
    id: 1,
    cluster: 'c',
    job_id: 'j',
    at: '2026-12-06T00:00:00.000Z',
    kind,
    node: 'node-1',
    message: '',
    data_json: data === null ? null : JSON.stringify(data),
  });
  assert.equal(isFencedOff(event('write-fenced', { epoch: 1, current: 2 })), true);
  assert.equal(isFencedOff(event('attempt-stopped', { epoch: 1, current: 2 })), true);
  assert.equal(isFencedOff(event('attempt-stopped')), false);
  assert.equal(isFencedOff(event('attempt-stopped', { epoch: 2, current: 2 })), false);
  assert.equal(isFencedOff(event('attempt-isolated')), false);
  // no such event in time: the problem says what the woken node wrote instead, or that it wrote nothing
  const timeout = new Error('timed out after 30 s waiting for the woken node to find itself fenced off');
  assert.equal(
    notFencedOff(timeout, 'node-1', [{ ...event('attempt-isolated'), message: 'node node-1 was cut off' }]),
    "timed out after 30 s waiting for the woken node to find itself fenced off; node-1's events for the job since: " +
      'attempt-isolated: node node-1 was cut off',
  );
  assert.match(notFencedOff(timeout, 'node-1', []), /node-1's events for the job since: none$/);
});

test('expectations: a coordinator failover wants one succeeded attempt and the coordinator elsewhere', () => {
  /** The facts of a coordinator-failover drill that killed node-3 while the job ran on node-1. */
  const coordinatorFacts = (f: Partial<DrillFacts>): string[] =>
    DRILL_SCENARIOS['coordinator-failover'].expect({
      ...restartFacts,
      movedTo: null,
      faultNode: 'node-3',
      attempts: [attempt(1, 'node-1', 'succeeded')],
      ...f,
    });
  assert.deepEqual(
    coordinatorFacts({
      coordinatorHostAfter: 'node-3',
      attempts: [attempt(1, 'node-1', 'moved'), attempt(2, 'node-2', 'succeeded')],
    }),
    [
      "expected the job's one attempt to carry on and succeed, the catalog has attempt 1 on node-1 moved, attempt 2 on node-2 succeeded",
      'the coordinator did not move off node-3 (now on node-3)',
    ],
  );
  assert.deepEqual(coordinatorFacts({ coordinatorHostAfter: null }), [
    'the coordinator did not move off node-3 (now on no node)',
  ]);
  // its node's process restarted before the coordinator's next task and took it: the coordinator
  // continued without moving, which the drill reports as its own outcome, not a failure
  assert.deepEqual(coordinatorFacts({ coordinatorHostAfter: 'node-3', coordinatorStayed: true }), []);
});
