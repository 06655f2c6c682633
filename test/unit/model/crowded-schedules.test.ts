/**
 * Crowded cron times: apps whose backup schedules share a cron expression without a jitter are
 * grouped once there are enough of them; a jitter, an `every` schedule or another expression
 * leaves an app out; the note names the count, the time, a few apps and the fix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crowdNote, crowdedCronTimes } from '../../../src/model/crowded-schedules';
import type { AppSchedule } from '../../../src/model/plan';
import { testApp, testPlan } from '../../helpers/fixtures';

const nightly: AppSchedule = { cron: '0 2 * * *', catchupWindowSeconds: 600 };

test('apps sharing a cron time without jitter are a crowd once there are enough of them', () => {
  const apps = [
    ...Array.from({ length: 4 }, (_, i) => testApp({ name: `db-${i}`, schedule: nightly })),
    // the same time written with other spaces is the same time
    testApp({ name: 'spaced', schedule: { ...nightly, cron: ' 0  2 * * * ' } }),
    testApp({ name: 'jittered', schedule: { ...nightly, jitterSeconds: 1800 } }),
    testApp({ name: 'hourly', schedule: { everySeconds: 3600, catchupWindowSeconds: 600 } }),
    testApp({ name: 'later', schedule: { ...nightly, cron: '0 3 * * *' } }),
    testApp({ name: 'unscheduled', schedule: null }),
  ];
  const plan = { ...testPlan(), apps };
  assert.deepEqual(crowdedCronTimes(plan, 5), [
    { cron: '0 2 * * *', apps: ['db-0', 'db-1', 'db-2', 'db-3', 'spaced'] },
  ]);
  assert.deepEqual(crowdedCronTimes(plan, 6), [], 'five is not a crowd of six');
  assert.deepEqual(crowdedCronTimes(plan), [], 'nor of the default');
});

test('the note names how many, when, a few of them and the fix', () => {
  const note = crowdNote({ cron: '0 2 * * *', apps: ['a', 'b', 'c', 'd', 'e'] });
  assert.match(
    note,
    /^note: 5 apps' backups are scheduled for the same second \(cron "0 2 \* \* \*": a, b, c and 2 more\)/,
  );
  assert.match(note, /jitter: 30m/);
});
