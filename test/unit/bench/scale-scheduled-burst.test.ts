import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cronAfter } from '../../../bench/scale/scheduled-burst';

void test("the burst's cron time: the first whole minute at least the lead away, as a UTC cron expression", () => {
  const now = Date.parse('2026-12-07T23:58:30.500Z');
  assert.deepEqual(cronAfter(240, now), { cron: '3 0 * * *', at: Date.parse('2026-12-08T00:03:00Z') });
  // a lead that ends on a whole minute fires at that minute, not the next
  assert.deepEqual(cronAfter(29.5, now), { cron: '59 23 * * *', at: Date.parse('2026-12-07T23:59:00Z') });
});
