import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterPlan, RestoreTestSpec } from '../../../src/model/plan';
import { describeChange, planDiff } from '../../../src/model/plan-diff';
import { testPlan } from '../../helpers/fixtures';

const daily: RestoreTestSpec = {
  schedule: { everySeconds: 86400, catchupWindowSeconds: 600 },
  sample: null,
  scratch: null,
};
const withTest = (restoreTest?: RestoreTestSpec): ClusterPlan => testPlan({ app: restoreTest ? { restoreTest } : {} });
const lines = (before: ClusterPlan | null, after: ClusterPlan) => planDiff(before, after).map(describeChange);

test('restore-test schedules are added, changed (naming the field) and removed like backup schedules', () => {
  assert.deepEqual(lines(withTest(), withTest(daily)), ['restore-test schedule of app db added']);
  assert.deepEqual(lines(withTest(daily), withTest()), ['restore-test schedule of app db removed']);
  assert.deepEqual(lines(withTest(daily), withTest({ ...daily, sample: { files: 100 } })), [
    'restore-test schedule of app db changed (sample: null -> {"files":100})',
  ]);
  assert.deepEqual(
    lines(withTest(daily), withTest({ ...daily, schedule: { cron: '0 3 * * *', catchupWindowSeconds: 600 } })),
    [
      'restore-test schedule of app db changed (schedule: {"catchupWindowSeconds":600,"everySeconds":86400} -> {"catchupWindowSeconds":600,"cron":"0 3 * * *"})',
    ],
  );
  assert.deepEqual(lines(withTest(daily), withTest({ ...daily })), []);
  assert.ok(lines(null, withTest(daily)).includes('restore-test schedule of app db added'));
});
