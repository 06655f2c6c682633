import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cronMaxGapSeconds, scheduleIntervalSeconds } from '../../../src/metrics/schedule-interval';

void test('the longest gap of a cron schedule: daily, hourly, weekdays, weekly, steps and lists', () => {
  const cases: [string, number | null][] = [
    ['0 2 * * *', 86400],
    ['15 * * * *', 3600],
    ['*/10 * * * *', 600],
    ['0 1,13 * * *', 12 * 3600],
    ['0 2 * * 1-5', 3 * 86400], // Friday to Monday
    ['30 3 * * 0', 7 * 86400],
    ['0 2 * * MON', null],
    ['0 2 *', null],
    ['61 * * * *', null],
  ];
  for (const [cron, want] of cases) assert.equal(cronMaxGapSeconds(cron), want, cron);
});

void test('an every schedule is its interval; no schedule has none', () => {
  assert.equal(scheduleIntervalSeconds({ everySeconds: 21600, catchupWindowSeconds: 600 }), 21600);
  assert.equal(scheduleIntervalSeconds({ cron: '0 2 * * *', catchupWindowSeconds: 600 }), 86400);
  // one run at 02:00, the next at the end of its 30 minutes of jitter
  assert.equal(scheduleIntervalSeconds({ cron: '0 2 * * *', jitterSeconds: 1800, catchupWindowSeconds: 600 }), 88200);
  assert.equal(scheduleIntervalSeconds(null), null);
});
