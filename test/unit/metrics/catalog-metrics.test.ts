import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { checkpointAges, registerPlanMetrics } from '../../../src/metrics/catalog-metrics';
import { registry as nodeRegistry } from '../../../src/metrics/node-metrics';
import type { ClusterPlan } from '../../../src/model/plan';
import { testApp, testPlan } from '../../helpers/fixtures';

void test("a running backup's checkpoint age: since its latest checkpoint, or its start; the oldest per app", () => {
  const at = Date.parse('2026-12-04T01:00:00Z');
  const ages = checkpointAges({
    at,
    backups: [],
    verifies: [],
    restoreTests: [],
    restoreTestsSince: [],
    running: [
      { jobId: 'a', app: 'db', startedAt: '2026-12-04T00:00:00Z', lastCheckpoint: '2026-12-04T00:59:00Z' },
      { jobId: 'b', app: 'web', startedAt: '2026-12-04T00:30:00Z', lastCheckpoint: null },
    ],
  });
  assert.deepEqual(
    [...ages],
    [
      ['db', 60],
      ['web', 1800],
    ],
  );
});

void test('the schedule interval gauge has a series for each scheduled app only', async () => {
  const registry = new Registry();
  const app = (name: string, schedule: ClusterPlan['apps'][number]['schedule']) => ({
    name,
    paths: ['/x'],
    restart: 'auto',
    maxCheckpointAgeSeconds: 3600,
    bandwidthLimitBytesPerSecond: 0,
    schedule,
  });
  registerPlanMetrics(registry, {
    cluster: 'c',
    apps: [app('db', { cron: '0 2 * * *', catchupWindowSeconds: 600 }), app('adhoc', null)],
  } as unknown as ClusterPlan);
  const text = await registry.metrics();
  assert.match(text, /^baton_backup_interval_seconds\{cluster="c",app="db"\} 86400$/m);
  assert.doesNotMatch(text, /adhoc/);
});

void test('restore tests: the interval of each tested app, and its failure counter from 0', async () => {
  const registry = new Registry();
  const plan: ClusterPlan = {
    ...testPlan(),
    apps: [
      testApp({
        name: 'db',
        restoreTest: { schedule: { cron: '0 3 * * 0', catchupWindowSeconds: 600 }, sample: null, scratch: null },
      }),
      testApp({ name: 'web' }),
    ],
  };
  registerPlanMetrics(registry, plan);
  const text = await registry.metrics();
  assert.match(text, /^baton_restore_test_interval_seconds\{cluster="c",app="db"\} 604800$/m);
  assert.doesNotMatch(text, /baton_restore_test_interval_seconds\{[^}]*app="web"/);
  const own = await nodeRegistry.metrics();
  assert.match(own, /^baton_restore_test_failures_total\{cluster="c",app="db"\} 0$/m);
  assert.doesNotMatch(own, /baton_restore_test_failures_total\{[^}]*app="web"/);
});
