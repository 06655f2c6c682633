import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { parseListen, startMetricsServer } from '../../../src/metrics/metrics-server';

async function runtimeExporter(): Promise<{ url: string; close: () => void }> {
  const server = createServer((_req, res) =>
    res.end('# TYPE temporal_worker_start_total counter\ntemporal_worker_start_total 2\n'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/metrics`, close: () => server.close() };
}

void test('/metrics serves the registry followed by the runtime exporter; /healthz says 200 or 503', async () => {
  const registry = new Registry();
  new Counter({ name: 'baton_test_total', help: 'test', registers: [registry] }).inc(3);
  const runtime = await runtimeExporter();
  let ok = true;
  const server = await startMetricsServer({
    listen: '127.0.0.1:0',
    registry,
    runtimeUrl: runtime.url,
    health: () => ({ ok, node: 'n1' }),
  });
  try {
    const text = await (await fetch(`http://${server.address}/metrics`)).text();
    assert.match(text, /^baton_test_total 3$/m);
    assert.match(text, /^temporal_worker_start_total 2$/m);
    const healthy = await fetch(`http://${server.address}/healthz`);
    assert.equal(healthy.status, 200);
    assert.deepEqual(await healthy.json(), { ok: true, node: 'n1' });
    ok = false;
    assert.equal((await fetch(`http://${server.address}/healthz`)).status, 503);
    runtime.close();
    const without = await (await fetch(`http://${server.address}/metrics`)).text();
    assert.match(without, /^baton_test_total 3$/m);
    assert.match(without, /^# Temporal runtime metrics unavailable from /m);
  } finally {
    runtime.close();
    await server.close();
  }
});

void test('an address in use or malformed is a one-line error naming it and the fix', async () => {
  const registry = new Registry();
  const first = await startMetricsServer({ listen: '127.0.0.1:0', registry, health: () => ({ ok: true }) });
  try {
    await assert.rejects(startMetricsServer({ listen: first.address, registry, health: () => ({ ok: true }) }), {
      name: 'UserError',
      message: new RegExp(`^metrics address ${first.address} is already in use .*--metrics-listen HOST:PORT`),
    });
  } finally {
    await first.close();
  }
  assert.throws(() => parseListen('9464'), /metrics address "9464" is not HOST:PORT; give one like 127.0.0.1:9464/);
  assert.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 });
});
