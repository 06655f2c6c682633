import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, configFromObject } from '../../../src/config/load';

function withRestoreTest(restoreTest: unknown): Record<string, unknown> {
  return {
    cluster: 'prod',
    nodes: [{ name: 'n1' }],
    drives: [{ name: 'd1', node: 'n1', path: '/san/d1' }],
    apps: [{ name: 'db', paths: ['/data/db'], ...(restoreTest === undefined ? {} : { restoreTest }) }],
  };
}

const planApp = (restoreTest: unknown) =>
  configFromObject(withRestoreTest(restoreTest), '/etc/b.yaml', '/etc').plan.apps[0];

test("an app's restoreTest reaches the plan: schedule as the backup's, the sample parsed, scratch made absolute", () => {
  assert.equal(planApp(undefined).restoreTest, undefined);
  assert.deepEqual(planApp({ schedule: { every: '1d' } }).restoreTest, {
    schedule: { everySeconds: 86400, catchupWindowSeconds: 600 },
    sample: null,
    scratch: null,
  });
  assert.deepEqual(
    planApp({ schedule: { cron: '0 3 * * 0', catchupWindow: '1h' }, sample: 100, scratch: 'rt' }).restoreTest,
    {
      schedule: { cron: '0 3 * * 0', catchupWindowSeconds: 3600 },
      sample: { files: 100 },
      scratch: '/etc/rt',
    },
  );
  assert.deepEqual(planApp({ schedule: { every: '6h' }, sample: '5%' }).restoreTest?.sample, { fraction: 0.05 });
});

test('a bad restoreTest is refused in one line naming the key and the fix', () => {
  const cases: { restoreTest: unknown; message: RegExp }[] = [
    { restoreTest: {}, message: /apps\[0\]\.restoreTest\.schedule: missing/ },
    {
      restoreTest: { schedule: {} },
      message: /apps\[0\]\.restoreTest\.schedule: \{\} must have exactly one of cron .* or every/,
    },
    {
      restoreTest: { schedule: { every: 'daily' } },
      message: /apps\[0\]\.restoreTest\.schedule\.every: "daily" must be a number of seconds/,
    },
    {
      restoreTest: { schedule: { every: '1d' }, sample: 0 },
      message: /apps\[0\]\.restoreTest\.sample: 0 must be positive; give a number of files/,
    },
    {
      restoreTest: { schedule: { every: '1d' }, sample: '150%' },
      message: /apps\[0\]\.restoreTest\.sample: "150%" is more than 100%/,
    },
    {
      restoreTest: { schedule: { every: '1d' }, scratch: '/data/db/tmp' },
      message: /restoreTest\.scratch \/data\/db\/tmp overlaps app "db"'s data path/,
    },
    { restoreTest: { schedule: { every: '1d' }, scratch: '/san/d1' }, message: /overlaps drive "d1"/ },
    {
      restoreTest: { schedule: { every: '1d' }, when: 'now' },
      message: /apps\[0\]\.restoreTest: unknown key "when"; remove or correct it/,
    },
  ];
  for (const c of cases) {
    assert.throws(
      () => configFromObject(withRestoreTest(c.restoreTest), '/etc/b.yaml', '/etc'),
      (err: unknown) => err instanceof ConfigError && err.problems.length === 1 && c.message.test(err.problems[0]),
      JSON.stringify(c.restoreTest),
    );
  }
});
