/**
 * Restore tests run by the cluster, for real: a Temporal dev server, three node processes serving
 * /metrics, the demo app backed up once. `baton apply` with `restoreTest` set creates the app's
 * restore-test schedule (described through the client) and one triggered run records a passing
 * row; `baton restore-test run --wait` passes on the whole snapshot and on a sample; after a
 * flipped byte in a pack on the drive it fails (a failed workflow, a failed row naming the file,
 * the failure counted in baton_restore_test_failures_total). A run paced by the plan's operation
 * bandwidth limit and cancelled from outside with `temporal workflow cancel` (as an operator in
 * the Web UI would) ends cancelled, row and workflow, and the next run passes. Every run leaves its
 * scratch space empty.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { recentRestoreTests } from '../../src/catalog/restore-tests';
import { restoreTestResult, startRestoreTest } from '../../src/client/restore-test-client';
import { loadConfig } from '../../src/config/load';
import { DEMO_APP, DEMO_APP_HOST } from '../../src/demo/demo-files';
import { startNodeProcess } from '../../src/demo/node-processes';
import { freePort } from '../../src/devtools/dev-server';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { restoreTestScheduleId } from '../../src/model/names';
import type { RestoreTestResult } from '../../src/model/restore-test';
import { waitFor } from '../../src/util/wait';
import { baton } from '../helpers/cli';
import { secondNodeSkip } from '../helpers/first-node';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';

describe('restore tests on a real cluster', { timeout: 180_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  let snapshotId: string;
  const metrics: string[] = [];
  const scratch = () => join(c.dir, 'scratch');
  const cli = (args: string[]) => baton([...args, '--config', c.files.configFile]);
  const rows = () => recentRestoreTests(c.catalog, c.config.cluster, { app: DEMO_APP });
  const scratchEmpty = () => !existsSync(scratch()) || readdirSync(scratch()).length === 0;

  before(async () => {
    c = await startLocalCluster({ nodes: false });
    for (const n of c.config.plan.nodes) {
      const address = `127.0.0.1:${await freePort()}`;
      metrics.push(address);
      c.nodes.push(startNodeProcess(n.name, c.files.configFile, c.dir, ['--metrics-listen', address]));
    }
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test');
    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded', result.error);
    snapshotId = result.outcome?.snapshotId ?? '';
  });
  after(async () => c?.stop());

  test('baton apply with restoreTest creates its schedule; a triggered run passes and records a row', async () => {
    const file = c.files.configFile;
    const line = `    paths: [apps/${DEMO_APP}]\n`;
    const yaml = readFileSync(file, 'utf8');
    assert.ok(yaml.includes(line));
    writeFileSync(file, yaml.replace(line, `${line}    restoreTest: { schedule: { every: 6h }, scratch: scratch }\n`));
    const applied = cli(['apply']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, new RegExp(`restore-test schedule of app ${DEMO_APP} added`));

    const handle = c.client.schedule.getHandle(restoreTestScheduleId(c.config.cluster, DEMO_APP));
    const description = await handle.describe();
    assert.equal(description.action.type, 'startWorkflow');
    assert.equal(description.action.workflowType, 'restoreTest');
    assert.deepEqual(
      description.spec.intervals?.map((i) => i.every),
      [6 * 3600 * 1000],
    );
    assert.equal(loadConfig(file).plan.apps[0].restoreTest?.scratch, scratch());

    await handle.trigger();
    const row = await waitFor(
      'the scheduled restore test to end',
      async () => (await rows()).find((r) => r.requested_by.startsWith('schedule:') && r.state !== 'running'),
      60_000,
    );
    assert.equal(row.state, 'succeeded', row.message);
    assert.equal(row.node, DEMO_APP_HOST);
    assert.equal(row.snapshot_id, snapshotId);
    assert.ok((row.files ?? 0) > 0);
    assert.match(row.id, new RegExp(`^baton-restoretest-scheduled-${c.config.cluster}-${DEMO_APP}-`));
    assert.ok(scratchEmpty());
  });

  test('baton restore-test run --wait passes on the whole snapshot and on a sample; baton restore-tests lists them', async () => {
    const whole = cli(['restore-test', 'run', DEMO_APP, '--wait', '--json']);
    assert.equal(whole.code, 0, whole.stderr);
    const all = JSON.parse(whole.stdout) as RestoreTestResult;
    assert.equal(all.state, 'succeeded');
    assert.equal(all.snapshotId, snapshotId);
    assert.match(all.runId, new RegExp(`^baton-restoretest-${c.config.cluster}-${DEMO_APP}-\\d{8}T\\d{6}\\.\\d{3}Z$`));

    // the sample through the client, as the CLI starts it (one process less)
    const someId = await startRestoreTest(c.client, c.config, loadConfig(c.files.configFile).plan.apps[0], {
      sample: { files: 3 },
      requestedBy: 'test',
    });
    const some = await restoreTestResult(c.client, someId);
    assert.equal(some.state, 'succeeded');
    assert.equal(some.files, 3);
    assert.ok(some.files < all.files);
    assert.ok(scratchEmpty());

    const listed = cli(['restore-tests', DEMO_APP, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const list = JSON.parse(listed.stdout) as { runId: string; outcome: string; sample: unknown; files: number }[];
    assert.deepEqual(
      list.slice(0, 2).map((r) => [r.runId, r.outcome, r.sample, r.files]),
      [
        [some.runId, 'succeeded', { files: 3 }, 3],
        [all.runId, 'succeeded', null, all.files],
      ],
    );
    const unknown = cli(['restore-test', 'run', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^baton: unknown app "nope"; apps in .*: sample-db/);
    assert.equal(unknown.stderr.trim().split('\n').length, 1);
  });

  test('a restore test cancelled from outside (temporal workflow cancel) ends cancelled, leaves no scratch, and the next run passes', async () => {
    const config = loadConfig(c.files.configFile);
    // the plan's operation bandwidth limit paces the restore (the demo app's data: about 4 s)
    const paced = {
      ...config,
      plan: { ...config.plan, jobs: { ...config.plan.jobs, operationBandwidthLimitBytesPerSecond: 2 * 1024 * 1024 } },
    };
    const runId = await startRestoreTest(c.client, paced, paced.plan.apps[0], { sample: null, requestedBy: 'test' });
    await waitFor(
      'the restore test to write into its scratch directory',
      () => existsSync(scratch()) && readdirSync(scratch()).some((d) => readdirSync(join(scratch(), d)).length > 0),
      30_000,
      50,
    );
    const cancel = spawnSync(
      ensureTemporalCli(),
      [
        'workflow',
        'cancel',
        '--workflow-id',
        runId,
        '--address',
        c.address,
        '--namespace',
        c.config.temporal.namespace,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(cancel.status, 0, cancel.stderr);
    const description = await waitFor(
      'the cancelled run to end',
      async () => {
        const d = await c.client.workflow.getHandle(runId).describe();
        return d.status.name === 'RUNNING' ? undefined : d;
      },
      30_000,
    );
    assert.equal(description.status.name, 'CANCELLED');
    const row = (await rows()).find((x) => x.id === runId);
    assert.equal(row?.state, 'cancelled');
    assert.match(row?.message ?? '', new RegExp(`restore test of ${DEMO_APP} snapshot \\w+ on node-\\d cancelled`));
    // the node's restore stops at its next heartbeat and removes what it wrote
    await waitFor('the scratch space to be empty', () => scratchEmpty() || undefined, 15_000, 100);

    const next = await startRestoreTest(c.client, config, config.plan.apps[0], {
      sample: { files: 3 },
      requestedBy: 'test',
    });
    const result = await restoreTestResult(c.client, next);
    assert.equal(result.state, 'succeeded', result.message);
    assert.equal(result.files, 3);
    assert.ok(scratchEmpty());
  });

  test('a flipped byte in a pack fails the test: failed workflow, failed row naming the file, failure counted', async () => {
    const drive = join(c.dir, 'drives', `${DEMO_APP_HOST}-disk`, 'data');
    const packs = readdirSync(drive).flatMap((sub) => readdirSync(join(drive, sub)).map((id) => join(drive, sub, id)));
    const pack = packs.sort((a, b) => statSync(b).size - statSync(a).size)[0];
    const bytes = readFileSync(pack);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(pack, bytes);

    const r = cli(['restore-test', 'run', DEMO_APP, '--wait']);
    assert.equal(r.code, 1, r.stdout);
    const runId = /started (\S+)/.exec(r.stdout)?.[1] ?? '';
    assert.match(
      r.stderr,
      /restore test of sample-db snapshot \w+ on node-\d failed: table-\d+\/segment-\d+\.dat cannot be restored: /,
    );
    const description = await c.client.workflow.getHandle(runId).describe();
    assert.equal(description.status.name, 'FAILED');
    const row = (await rows()).find((x) => x.id === runId);
    assert.equal(row?.state, 'failed');
    assert.match(row?.path ?? '', /^table-\d+\/segment-\d+\.dat$/);
    assert.match(row?.message ?? '', new RegExp(`${row?.path} cannot be restored: blob \\w+ in pack`));
    assert.ok(scratchEmpty());

    const scraped = await Promise.all(metrics.map(async (a) => (await fetch(`http://${a}/metrics`)).text()));
    const failures = scraped
      .flatMap((text) => text.split('\n'))
      .filter((l) => l.startsWith(`baton_restore_test_failures_total{cluster="demo",app="${DEMO_APP}"}`))
      .map((l) => Number(l.split(' ').pop()));
    assert.equal(
      failures.reduce((a, b) => a + b, 0),
      1,
    );
    const success = scraped[0]
      .split('\n')
      .find((l) => l.startsWith('baton_restore_test_last_success_timestamp_seconds'));
    assert.match(success ?? '', new RegExp(`app="${DEMO_APP}"} \\d+`));
  });
});
