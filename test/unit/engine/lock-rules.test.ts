/**
 * The lock decisions alone: the stale age setting, when a lock is old (by its holder's clock and the
 * drive's alike), when it is stale (old, or its process gone on this host), and how a holder's own
 * lock stands after a pause.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_STALE_MS,
  conflicts,
  holderState,
  isOld,
  isStale,
  lockStaleMs,
  provisionalExpired,
  refreshEveryMs,
  staleAgeFromEnv,
} from '../../../src/engine/lock-rules';
import type { LockFile } from '../../../src/engine/lock-rules';

const NOW = Date.parse('2026-12-04T04:00:00Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString();
const lock = (over: Partial<LockFile> = {}): LockFile => ({
  version: 2,
  exclusive: false,
  hostname: 'here',
  pid: 100,
  time: ago(0),
  refreshed: ago(0),
  purpose: 'backup',
  staleAfter: 60,
  ...over,
});
const ctx = (alive: boolean) => ({ now: NOW, host: 'here', alive: () => alive });

void test('the stale age comes from BATON_LOCK_STALE_SECONDS, 30 minutes by default; a bad value is refused', () => {
  assert.equal(staleAgeFromEnv({}), DEFAULT_STALE_MS);
  assert.equal(staleAgeFromEnv({ BATON_LOCK_STALE_SECONDS: '' }), DEFAULT_STALE_MS);
  assert.equal(staleAgeFromEnv({ BATON_LOCK_STALE_SECONDS: '2' }), 2000);
  assert.equal(staleAgeFromEnv({ BATON_LOCK_STALE_SECONDS: '1.5' }), 1500);
  for (const bad of ['0', '0.5', '-3', 'ten', '1e3', '86401']) {
    assert.throws(
      () => staleAgeFromEnv({ BATON_LOCK_STALE_SECONDS: bad }),
      /BATON_LOCK_STALE_SECONDS=.* is not a lock stale age; give seconds from 1 to 86400/,
      bad,
    );
  }
});

void test("a lock lives by its holder's stale age; a version-1 lock by 30 minutes", () => {
  assert.equal(lockStaleMs(lock()), 60_000);
  assert.equal(lockStaleMs(lock({ version: 1, staleAfter: undefined })), DEFAULT_STALE_MS);
  assert.equal(lockStaleMs(lock({ staleAfter: 1e12 })), 24 * 60 * 60 * 1000, 'bounded');
  assert.equal(refreshEveryMs(DEFAULT_STALE_MS), 5 * 60 * 1000);
});

void test("a lock is old only when neither its holder's time nor the drive's mtime was refreshed within its stale age", () => {
  assert.equal(isOld(lock({ refreshed: ago(61_000) }), NOW - 61_000, NOW), true);
  assert.equal(isOld(lock({ refreshed: ago(59_000) }), NOW - 61_000, NOW), false, 'holder refreshed');
  // a holder whose clock runs 10 minutes behind writes old-looking times; the drive saw the write
  assert.equal(isOld(lock({ refreshed: ago(600_000) }), NOW - 1000, NOW), false, 'drive saw a fresh write');
  assert.equal(isOld(lock({ refreshed: 'garbage' }), NOW - 61_000, NOW), true);
});

void test('stale: old, or held by a process of this host that is gone; another host is never judged by its PID', () => {
  const fresh = lock();
  const old = lock({ refreshed: ago(120_000) });
  assert.equal(isStale(fresh, NOW, ctx(true)), false);
  assert.equal(isStale(fresh, NOW, ctx(false)), true, 'dead process here: at once');
  assert.equal(isStale(old, NOW - 120_000, ctx(true)), true, 'a live but stalled process here, once old');
  assert.equal(isStale(lock({ hostname: 'there' }), NOW, ctx(false)), false);
  assert.equal(isStale(lock({ hostname: 'there', refreshed: ago(120_000) }), NOW - 120_000, ctx(true)), true);
});

void test("a holder's lock is fresh, then due for a refresh, then late (others may soon take it for stale)", () => {
  const stale = 60_000; // refresh every 10 s; late from 45 s
  assert.equal(holderState(0, stale), 'fresh');
  assert.equal(holderState(9_999, stale), 'fresh');
  assert.equal(holderState(10_000, stale), 'due');
  assert.equal(holderState(44_999, stale), 'due');
  assert.equal(holderState(45_000, stale), 'late');
  assert.equal(holderState(3_600_000, stale), 'late');
});

void test('shared locks share; an exclusive one shares with nothing', () => {
  assert.equal(conflicts(false, lock()), false);
  assert.equal(conflicts(false, lock({ exclusive: true })), true);
  assert.equal(conflicts(true, lock()), true);
});

void test("a resumed backup's lock on another drive shares it with backups, a tape's exclusive appender too, not with prune", () => {
  assert.equal(conflicts(false, lock({ exclusive: true, purpose: 'backup' }), true), false);
  assert.equal(conflicts(false, lock({ exclusive: true, purpose: 'prune' }), true), true);
  assert.equal(conflicts(false, lock({ exclusive: true, purpose: 'forget' }), true), true);
  assert.equal(conflicts(false, lock(), true), false);
});

void test('a provisional refs file expires 4 stale ages after its last refresh, by its time and its mtime alike', () => {
  const mark = (refreshedAgo: number) => ({ refreshed: ago(refreshedAgo), staleAfter: 60 });
  const life = 4 * 60_000;
  assert.equal(provisionalExpired(mark(life - 1000), NOW - life - 1000, NOW), false, 'refreshed within its life');
  assert.equal(provisionalExpired(mark(life + 1000), NOW - life + 1000, NOW), false, 'the drive saw it written within');
  assert.equal(provisionalExpired(mark(life + 1000), NOW - life - 1000, NOW), true);
  assert.equal(provisionalExpired({ refreshed: 'x', staleAfter: 60 }, NOW - life - 1000, NOW), true);
  // a stale age past the bounds counts as the bound (24 h)
  assert.equal(provisionalExpired({ refreshed: ago(5 * 86_400_000), staleAfter: 1e9 }, 0, NOW), true);
});
