import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, configFromObject } from '../../../src/config/load';

const raw = (nodes: unknown[]) => ({
  cluster: 'prod',
  nodes,
  drives: [
    { name: 'd1', node: 'n1', path: '/san/d1' },
    { name: 'd2', node: 'n2', path: '/san/d2' },
  ],
  apps: [{ name: 'db', paths: ['/data/db'] }],
});

void test("nodes[].metricsListen gives each node's metrics address and stays out of the plan", () => {
  const c = configFromObject(
    raw([{ name: 'n1', metricsListen: '0.0.0.0:9464' }, { name: 'n2' }]),
    'baton.yaml',
    '/etc/baton',
  );
  assert.deepEqual(c.metricsListen, { n1: '0.0.0.0:9464' });
  assert.deepEqual(c.plan.nodes, [{ name: 'n1' }, { name: 'n2' }]);
});

void test('a metricsListen that is not HOST:PORT names the key and the form', () => {
  assert.throws(
    () => configFromObject(raw([{ name: 'n1', metricsListen: '9464' }, { name: 'n2' }]), 'baton.yaml', '/x'),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.join('\n') ===
        'nodes[0].metricsListen: "9464" must be HOST:PORT, e.g. 127.0.0.1:9464 or 0.0.0.0:9464',
  );
});
