import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planForget } from '../../../src/engine/pruner';
import type { Snapshot, SnapshotEntry } from '../../../src/engine/snapshot';

const snap = (id: string, app: string, time: string): SnapshotEntry => ({
  id,
  snapshot: { time, app, paths: ['/p'], drives: [] } as unknown as Snapshot,
});

const snaps = [
  snap('a1', 'a', '2026-01-01T10:00:00Z'),
  snap('a2', 'a', '2026-01-01T11:00:00Z'),
  snap('a3', 'a', '2026-01-01T12:00:00Z'),
  snap('b1', 'b', '2026-01-01T09:00:00Z'),
  snap('b2', 'b', '2026-01-01T13:00:00Z'),
];
const removed = (p: { remove: SnapshotEntry[] }) => p.remove.map((s) => s.id).sort();

void test('forget scoped to one app leaves the others; protected snapshots stay; hourly and yearly count', () => {
  assert.deepEqual(removed(planForget(snaps, { last: 1 })), ['a1', 'a2', 'b1']);
  assert.deepEqual(removed(planForget(snaps, { last: 1 }, { app: 'a' })), ['a1', 'a2']);
  assert.deepEqual(removed(planForget(snaps, { last: 1 }, { app: 'a', protect: new Set(['a1']) })), ['a2']);
  assert.deepEqual(removed(planForget(snaps, { hourly: 2 }, { app: 'a' })), ['a1']);
  assert.deepEqual(removed(planForget(snaps, { yearly: 3 }, { app: 'b' })), ['b1']);
  assert.deepEqual(removed(planForget(snaps, { last: 1 }, { app: 'none' })), []);
  assert.throws(() => planForget(snaps, { last: 0 }), /--keep-hourly.*--keep-yearly/);
});
