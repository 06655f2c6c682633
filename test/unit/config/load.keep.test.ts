import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, configFromObject } from '../../../src/config/load';

function withKeep(keep: unknown): Record<string, unknown> {
  return {
    cluster: 'prod',
    nodes: [{ name: 'n1' }],
    drives: [{ name: 'd1', node: 'n1', path: '/san/d1' }],
    apps: [{ name: 'db', paths: ['/data/db'], ...(keep === undefined ? {} : { keep }) }],
  };
}

test("an app's keep policy reaches the plan; without one the app keeps everything", () => {
  assert.equal(configFromObject(withKeep(undefined), '/b.yaml', '/').plan.apps[0].keep, undefined);
  const keep = { last: 2, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 };
  assert.deepEqual(configFromObject(withKeep(keep), '/b.yaml', '/').plan.apps[0].keep, keep);
});

test('a negative, fractional, all-zero or unknown keep rule is refused, naming the app and the fix', () => {
  const cases: { keep: unknown; message: RegExp }[] = [
    { keep: { last: -1 }, message: /app "db" has keep\.last: -1; give a whole number of snapshots, 0 or more/ },
    { keep: { daily: 0.5 }, message: /app "db" has keep\.daily: 0\.5/ },
    { keep: { last: 0, daily: 0 }, message: /app "db" has a keep policy that keeps nothing.*keep: \{last: 7\}/ },
    { keep: {}, message: /keeps nothing/ },
    { keep: { lastt: 2 }, message: /lastt/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => configFromObject(withKeep(c.keep), '/b.yaml', '/'),
      (err: unknown) => err instanceof ConfigError && c.message.test(err.message),
      JSON.stringify(c.keep),
    );
  }
});
