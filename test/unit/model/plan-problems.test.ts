import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planProblems } from '../../../src/model/plan-problems';
import { BROKEN_PLANS, testPlan } from '../../helpers/fixtures';

test('the test plan has no problems', () => {
  assert.deepEqual(planProblems(testPlan()), []);
});

for (const c of BROKEN_PLANS) {
  test(`planProblems finds a plan with ${c.name}`, () => {
    const bad = testPlan();
    c.change(bad);
    assert.match(planProblems(bad).join('; '), c.problem);
  });
}
