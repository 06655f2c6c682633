/**
 * Every schedules spread over their interval: an offset stable for a schedule ID, within the
 * interval, different from app to app; the config's offset wins; a cron schedule has none.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scheduleSpec } from '../../../src/activities/schedule-sync';
import { scheduleId } from '../../../src/model/names';
import { scheduleOffsetSeconds } from '../../../src/model/schedule-offset';

const hourly = { everySeconds: 3600, catchupWindowSeconds: 600 };

test('a thousand hourly apps are spread over the hour, each at the same second every time', () => {
  const offsets = Array.from({ length: 1000 }, (_, i) => scheduleOffsetSeconds(scheduleId('prod', `app-${i}`), hourly));
  assert.deepEqual(
    offsets,
    Array.from({ length: 1000 }, (_, i) => scheduleOffsetSeconds(scheduleId('prod', `app-${i}`), hourly)),
    'stable',
  );
  for (const o of offsets) assert.ok(o !== null && Number.isInteger(o) && o >= 0 && o < 3600, `offset ${o}`);
  // by the minute: 60 buckets of about 17 apps each; none near-empty, none holding a crowd
  const perMinute = new Array<number>(60).fill(0);
  for (const o of offsets) perMinute[Math.floor((o ?? 0) / 60)]++;
  assert.ok(Math.min(...perMinute) >= 5 && Math.max(...perMinute) <= 35, `per minute: ${perMinute.join(' ')}`);
  assert.ok(new Set(offsets).size > 800, `${new Set(offsets).size} distinct seconds`);
});

test('the config’s offset wins; a cron schedule has none; the spec carries the offset', () => {
  assert.equal(scheduleOffsetSeconds('x', { ...hourly, offsetSeconds: 0 }), 0);
  assert.equal(scheduleOffsetSeconds('x', { ...hourly, offsetSeconds: 900 }), 900);
  assert.equal(scheduleOffsetSeconds('x', { cron: '0 2 * * *', catchupWindowSeconds: 600 }), null);
  const id = scheduleId('prod', 'db');
  assert.deepEqual(scheduleSpec(id, hourly), {
    intervals: [{ every: '3600s', offset: `${scheduleOffsetSeconds(id, hourly)}s` }],
  });
  assert.deepEqual(scheduleSpec(id, { cron: '0 2 * * *', catchupWindowSeconds: 600 }), {
    cronExpressions: ['0 2 * * *'],
  });
  assert.deepEqual(scheduleSpec(id, { cron: '0 2 * * *', jitterSeconds: 1800, catchupWindowSeconds: 600 }), {
    cronExpressions: ['0 2 * * *'],
    jitter: '1800s',
  });
});
