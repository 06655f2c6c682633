/**
 * The node's monitoring endpoint on a real cluster: three real node processes serve /metrics and
 * /healthz on their own ports, a real Prometheus (Debian's package) scrapes them, and after a
 * backup its HTTP API answers with the app's last-success time (read from the catalog), the
 * coordinator's host and the Temporal runtime's own metrics merged into the same endpoint. A
 * metrics port already in use stops a node with an error naming the address and the fix.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { getJob } from '../../src/catalog/jobs';
import { DEMO_APP } from '../../src/demo/demo-files';
import { startNodeProcess } from '../../src/demo/node-processes';
import { freePort } from '../../src/devtools/dev-server';
import { baton } from '../helpers/cli';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus';

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

describe('metrics scraped by a real Prometheus', { timeout: 240_000 }, () => {
  let c: LocalCluster;
  let prometheus: PrometheusServer | undefined;
  const addresses = new Map<string, string>();

  before(async () => {
    c = await startLocalCluster({ nodes: false });
    for (const n of c.config.plan.nodes) {
      const address = `127.0.0.1:${await freePort()}`;
      addresses.set(n.name, address);
      // c.stop() stops every process in c.nodes
      c.nodes.push(startNodeProcess(n.name, c.files.configFile, c.dir, ['--metrics-listen', address]));
    }
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
  });
  after(async () => {
    await prometheus?.stop();
    await c?.stop();
  });

  test('every node answers /healthz with 200 and a JSON body once its workers run', async () => {
    for (const [node, address] of addresses) {
      const body = await until(`${node} healthy`, async () => {
        const res = await fetch(`http://${address}/healthz`);
        return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
      });
      assert.equal(body.ok, true);
      assert.equal(body.node, node);
      assert.deepEqual(body.workers, ['RUNNING', 'RUNNING', 'RUNNING']);
    }
  });

  test('Prometheus sees the last success of the app after a backup, the coordinator host and runtime metrics', async () => {
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test');
    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded');
    const finished = Date.parse((await getJob(c.catalog, started.jobId))?.finished_at ?? '') / 1000;

    prometheus = await startPrometheus([...addresses.values()]);
    const up = await until('three targets up', async () => {
      const r = await prometheus?.query('up{job="baton"} == 1');
      return r && r.length === 3 ? r : undefined;
    });
    assert.deepEqual(up.map((s) => s.metric.instance).sort(), [...addresses.values()].sort());

    const last = await until('last success in Prometheus', async () => {
      const r = await prometheus?.query(`baton_backup_last_success_timestamp_seconds{app="${DEMO_APP}"}`);
      return r && r.length === 3 ? r : undefined;
    });
    // every node reads the catalog: all three report the same time, the job's end
    for (const s of last) {
      assert.equal(s.metric.cluster, c.config.cluster);
      assert.ok(Math.abs(Number(s.value[1]) - finished) < 1, `${s.value[1]} vs ${finished}`);
    }

    const hosts = await prometheus.query('sum(baton_coordinator_host)');
    assert.equal(hosts[0]?.value[1], '1', 'exactly one node hosts the coordinator');
    const attempts = await prometheus.query('sum(baton_job_attempts_total{outcome="succeeded"})');
    assert.equal(attempts[0]?.value[1], '1');
    const bytes = await prometheus.query(`sum(baton_backup_bytes_total{app="${DEMO_APP}"})`);
    assert.equal(Number(bytes[0]?.value[1]), result.outcome?.bytes);
    const runtime = await prometheus.query('count(temporal_worker_start_total) by (instance)');
    assert.equal(runtime.length, 3, 'the Temporal runtime metrics come through every node endpoint');
  });

  test('a metrics address already in use stops the node with an error naming it and the fix', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(taken.address() as { port: number }).port}`;
    try {
      const started = Date.now();
      const r = baton(['node', '--name', 'node-1', '--config', c.files.configFile, '--metrics-listen', address]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`metrics address ${address} is already in use`));
      assert.match(r.stderr, /--metrics-listen HOST:PORT/);
      assert.ok(Date.now() - started < 30_000, 'the node stops at once');
    } finally {
      taken.close();
    }
  });

  test('/healthz turns 503 while Temporal does not answer (server SIGSTOPped) and 200 again after', async (t) => {
    const server = c.server?.process;
    if (!server?.pid) return t.skip('uses a running server (BATON_TEST_TEMPORAL): cannot pause it');
    const [node, address] = [...addresses][0];
    const status = async () => {
      const res = await fetch(`http://${address}/healthz`);
      return { code: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    assert.equal((await status()).code, 200);
    server.kill('SIGSTOP');
    try {
      const down = await until(
        `${node} unhealthy`,
        async () => {
          const s = await status();
          return s.code === 503 ? s.body : undefined;
        },
        20_000,
      );
      assert.equal(down.ok, false);
      assert.match(String(down.temporal), /^not reached for \d+ s$/);
    } finally {
      server.kill('SIGCONT');
    }
    await until(`${node} healthy again`, async () => ((await status()).code === 200 ? true : undefined), 20_000);
  });
});
