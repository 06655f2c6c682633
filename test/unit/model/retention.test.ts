import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bucketOf,
  describeKeep,
  isoWeek,
  keepProblems,
  planRetention,
  retentionEndMessage,
} from '../../../src/model/retention';
import type { KeepPolicy } from '../../../src/model/plan';

const at = (id: string, time: string) => ({ id, time });
const kept = (snaps: { id: string; time: string }[], policy: KeepPolicy, protect?: Set<string>) =>
  planRetention(snaps, policy, protect)
    .keep.map((s) => s.id)
    .sort();

void test('buckets are UTC: hour, day, ISO week (Monday first, year of its Thursday), month, year', () => {
  const s = at('x', '2026-01-01T00:30:00+02:00'); // 2025-12-31T22:30Z
  assert.equal(bucketOf('hourly', s), '2025-12-31T22');
  assert.equal(bucketOf('daily', s), '2025-12-31');
  assert.equal(bucketOf('monthly', s), '2025-12');
  assert.equal(bucketOf('yearly', s), '2025');
  assert.equal(bucketOf('last', s), 'x');
  // 2025-12-29 (a Monday) to 2026-01-04 is ISO week 2026-W01; the Sunday before is 2025-W52.
  assert.equal(isoWeek(new Date('2025-12-29T00:00:00Z')), '2026-W01');
  assert.equal(isoWeek(new Date('2026-01-04T23:59:59Z')), '2026-W01');
  assert.equal(isoWeek(new Date('2025-12-28T23:59:59Z')), '2025-W52');
  assert.equal(isoWeek(new Date('2021-01-03T12:00:00Z')), '2020-W53');
});

const day = [
  at('a', '2026-11-30T23:59:59Z'), // Monday, last second of November
  at('b', '2026-12-01T00:00:00Z'), // first second of December
  at('c', '2026-12-01T10:15:00Z'),
  at('d', '2026-12-01T10:45:00Z'),
  at('e', '2026-12-02T08:00:00Z'),
  at('f', '2026-12-02T09:00:00Z'),
];

void test('each rule keeps the newest snapshot of each of its last N buckets', () => {
  const cases: { name: string; policy: KeepPolicy; keep: string[] }[] = [
    { name: 'last 2', policy: { last: 2 }, keep: ['e', 'f'] },
    { name: 'hourly 3: 09h, 08h of the 2nd, 10h of the 1st (d, not c)', policy: { hourly: 3 }, keep: ['d', 'e', 'f'] },
    { name: 'daily 3 splits at midnight UTC', policy: { daily: 3 }, keep: ['a', 'd', 'f'] },
    { name: 'weekly 1', policy: { weekly: 1 }, keep: ['f'] },
    { name: 'monthly 2 splits at the month edge', policy: { monthly: 2 }, keep: ['a', 'f'] },
    { name: 'yearly 5: only one year', policy: { yearly: 5 }, keep: ['f'] },
    { name: 'union of rules', policy: { last: 1, monthly: 2 }, keep: ['a', 'f'] },
    { name: 'more buckets than snapshots keeps all', policy: { last: 10 }, keep: ['a', 'b', 'c', 'd', 'e', 'f'] },
  ];
  for (const c of cases) assert.deepEqual(kept(day, c.policy), c.keep, c.name);
});

void test('the newest and protected snapshots are never forgotten; input order does not matter', () => {
  assert.deepEqual(kept(day, { monthly: 1, last: 0 }), ['f']);
  const plan = planRetention([...day].reverse(), { last: 1 }, new Set(['b']));
  assert.deepEqual(
    plan.keep.map((s) => s.id),
    ['f', 'b'],
  );
  assert.deepEqual(plan.reasons.b, ['protected']);
  assert.deepEqual(
    plan.forget.map((s) => s.id),
    ['e', 'd', 'c', 'a'],
  );
  // A policy of only yearly 0 and daily 0 would keep nothing but the newest.
  assert.deepEqual(kept(day, { daily: 0 }), ['f']);
  // Equal times: decided by ID, the same whatever the input order.
  const same = [at('m', '2026-12-01T00:00:00Z'), at('n', '2026-12-01T00:00:00Z')];
  assert.deepEqual(kept(same, { last: 1 }), kept([...same].reverse(), { last: 1 }));
  assert.deepEqual(planRetention([], { last: 1 }), { keep: [], forget: [], reasons: {} });
});

void test('keep problems name the app and the fix; describeKeep lists the rules in order', () => {
  assert.deepEqual(keepProblems('db', { last: 2 }), []);
  assert.deepEqual(keepProblems('db', { last: -1 }), [
    'app "db" has keep.last: -1; give a whole number of snapshots, 0 or more',
  ]);
  assert.match(keepProblems('db', { daily: 1.5 })[0], /keep\.daily: 1\.5/);
  assert.match(keepProblems('db', { last: 0, daily: 0 })[0], /app "db" has a keep policy that keeps nothing/);
  assert.match(keepProblems('db', {})[0], /e\.g\. keep: \{last: 7\}, or remove keep/);
  assert.equal(describeKeep({ yearly: 1, last: 2, hourly: 0 }), 'last 2, yearly 1');
});

void test('the end message says what was kept, forgotten and freed, or why it failed', () => {
  const base = { jobId: 'j', drive: 'd1', node: 'n1', apps: ['db'] };
  const ok = retentionEndMessage({
    ...base,
    state: 'succeeded',
    outcome: {
      drive: 'd1',
      node: 'n1',
      kept: ['k1', 'k2'],
      forgotten: ['f'.repeat(64)],
      catalogMarked: 1,
      packsDeleted: 3,
      bytesFreed: 2048,
      packsDropped: 0,
      durationMs: 12,
    },
  });
  assert.equal(
    ok,
    'retention of db on drive d1 (node n1) kept 2 and forgot 1 snapshot (ffffffffffff); 3 packs deleted, ' +
      '2.0 KiB freed; 1 catalog rows marked forgotten, in 12 ms',
  );
  assert.equal(
    retentionEndMessage({ ...base, state: 'failed', error: 'drive locked' }),
    'retention of db on drive d1 (node n1) failed: drive locked',
  );
});
