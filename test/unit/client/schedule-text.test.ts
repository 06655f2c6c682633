/** How `baton schedules` names a schedule: its interval, or its cron expression and jitter. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scheduleText } from '../../../src/client/schedules-client';

test('a schedule is shown by its interval, or its cron expression and the jitter it fires within', () => {
  assert.equal(scheduleText({ everySeconds: 3600, catchupWindowSeconds: 600 }), 'every 3600s');
  assert.equal(scheduleText({ cron: '0 2 * * *', catchupWindowSeconds: 600 }), 'cron 0 2 * * *');
  assert.equal(
    scheduleText({ cron: '0 2 * * *', jitterSeconds: 1800, catchupWindowSeconds: 600 }),
    'cron 0 2 * * * within 1800s',
  );
});
