import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterSnapshot, NodeState } from '../../../src/model/cluster';
import { coordinatorMove } from '../../../src/model/coordinator-move';

function seen(nodes: Record<string, NodeState>): ClusterSnapshot {
  return {
    version: 'v1',
    takenAt: '2026-12-05T00:00:00.000Z',
    nodes: Object.entries(nodes).map(([name, state]) => ({ name, state })),
    apps: [],
  };
}

const cases: { name: string; nodes: Record<string, NodeState>; kind: string; fromState: NodeState | null }[] = [
  {
    name: 'previous node online: a hand-over',
    nodes: { n1: 'online', n2: 'online' },
    kind: 'coordinator-handover',
    fromState: 'online',
  },
  {
    name: 'previous node in standby (up, resources kept off)',
    nodes: { n1: 'standby', n2: 'online' },
    kind: 'coordinator-handover',
    fromState: 'standby',
  },
  {
    name: 'previous node offline: a failover',
    nodes: { n1: 'offline', n2: 'online' },
    kind: 'coordinator-failover',
    fromState: 'offline',
  },
  {
    name: 'previous node unknown (unclean, not yet fenced)',
    nodes: { n1: 'unknown', n2: 'online' },
    kind: 'coordinator-failover',
    fromState: 'unknown',
  },
  { name: 'previous node not listed', nodes: { n2: 'online' }, kind: 'coordinator-failover', fromState: null },
];

for (const c of cases) {
  test(`coordinatorMove: ${c.name}`, () => {
    const move = coordinatorMove('n1', seen(c.nodes));
    assert.equal(move.kind, c.kind);
    assert.equal(move.fromState, c.fromState);
    assert.match(move.reason, /n1/);
  });
}

test('coordinatorMove: only the previous node counts, not the others', () => {
  assert.equal(coordinatorMove('n1', seen({ n1: 'online', n2: 'offline' })).kind, 'coordinator-handover');
  assert.equal(coordinatorMove('n2', seen({ n1: 'online', n2: 'offline' })).kind, 'coordinator-failover');
});

test('coordinatorMove: a hand-over says what the cluster service cannot tell apart', () => {
  const { reason } = coordinatorMove('n1', seen({ n1: 'online' }));
  assert.match(reason, /reports n1 online/);
  assert.match(reason, /Baton process that stopped/);
});
