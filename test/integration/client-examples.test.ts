/**
 * The README's "Using Baton from code" commands, run as written against the demo cluster (a real
 * Temporal dev server, three node processes): the lines are read from README.md so they cannot drift.
 * On the same cluster (one demo for the file), the client's calls the examples do not make:
 * status, apply, verify by app, and the typed errors of bad requests, from the package entry.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureCoordinator } from '../../src/client/coordinator-client';
import { getJob, recentJobs } from '../../src/catalog/jobs';
import {
  BatonClient,
  OtherClusterError,
  SnapshotNotFoundError,
  UnknownAppError,
  UnknownDriveError,
  UnknownNodeError,
} from '../../src/client/index';
import { secondNodeSkip } from '../helpers/first-node';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { compareTrees } from '../helpers/tree';

const ROOT = join(__dirname, '..', '..', '..');

/** The `node dist/examples/...` lines of README's "Using Baton from code", comments cut. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('## Using Baton from code')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('node dist/examples/'))
    .map((l) => l.replace(/#.*$/, '').trim());
}

function run(line: string, configFile: string): { code: number | null; stdout: string; stderr: string } {
  const [, script, ...args] = line.split(/\s+/);
  const r = spawnSync(process.execPath, [script ?? '', ...args], {
    cwd: ROOT,
    env: { ...process.env, BATON_CONFIG: configFile },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the README client examples on the demo cluster', { timeout: 300_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  const commands = readmeCommands();
  const line = (name: string) => commands.find((l) => l.includes(name)) ?? assert.fail(`README shows no ${name}`);

  before(async () => {
    c = await startLocalCluster();
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
  });
  after(async () => c?.stop());

  test('backup-with-progress prints its progress and a finished job with its snapshot', async () => {
    const r = run(line('backup-with-progress'), c.files.configFile);
    assert.equal(r.code, 0, r.stderr);
    const started = /^started (\S+) on (\S+)$/m.exec(r.stdout);
    assert.ok(started, r.stdout);
    assert.match(r.stdout, /^(pending|running|succeeded): /m);
    const end = new RegExp(`^${started[1]} succeeded: snapshot ([0-9a-f]+)$`, 'm').exec(r.stdout);
    assert.ok(end, r.stdout);
    const row = await getJob(c.catalog, started[1] ?? '');
    assert.equal(row?.state, 'succeeded');
    assert.equal(row?.node, started[2]);
  });

  test("restore-snapshot restores the app's latest snapshot, byte for byte, and says what it restored", async () => {
    const restoreLine = line('restore-snapshot');
    const target = restoreLine.split(/\s+/)[3] ?? assert.fail(`no target in ${restoreLine}`);
    // README names a fixed directory: a leftover of an earlier run would be refused as not empty
    rmSync(target, { recursive: true, force: true });
    try {
      const [latest] = await c.catalog
        .selectFrom('snapshots')
        .selectAll()
        .where('app', '=', 'sample-db')
        .orderBy('at', 'desc')
        .limit(1)
        .execute();
      assert.ok(latest, 'the backup test left a snapshot');
      const r = run(restoreLine, c.files.configFile);
      assert.equal(r.code, 0, r.stderr);
      const started = /^started (\S+): snapshot ([0-9a-f]+) from drive (\S+) on (\S+)$/m.exec(r.stdout);
      assert.ok(started, r.stdout);
      assert.equal(started[2], latest.id);
      assert.equal(started[3], latest.drive);
      const end = /^restored (\d+) files, (\d+) directories, (\d+) bytes into (\S+) on (\S+)$/m.exec(r.stdout);
      assert.ok(end, r.stdout);
      assert.equal(Number(end[1]), latest.files);
      assert.equal(end[4], target);
      assert.deepEqual(compareTrees(c.files.appDir, target), []);
      const row = await getJob(c.catalog, started[1] ?? '');
      assert.equal(row?.kind, 'restore');
      assert.equal(row?.state, 'succeeded');
      assert.match(row?.requested_by ?? '', /^code:/);

      const again = run(restoreLine, c.files.configFile);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^error: .*not empty/m);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
    assert.equal(existsSync(target), false);
  });

  test('list-failed-jobs lists the failed jobs, and only them', async () => {
    const bad = run('node dist/examples/backup-with-progress.js no-such-app', c.files.configFile);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: unknown app "no-such-app"; apps in .*: sample-db/m);
    await c.catalog
      .insertInto('jobs')
      .values({
        id: 'baton-backup-sample-db-failed-by-test',
        cluster: c.config.cluster,
        app: 'sample-db',
        kind: 'backup',
        node: 'node-2',
        drive: 'node-2-disk',
        state: 'failed',
        requested_by: 'test',
        started_at: new Date().toISOString(),
        finished_at: new Date().toISOString(),
        files: null,
        bytes: null,
        location: null,
        error: 'drive full',
      })
      .execute();
    const r = run(line('list-failed-jobs'), c.files.configFile);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1 failed job(s)\nbaton-backup-sample-db-failed-by-test sample-db on node-2: drive full\n');
  });

  test("the client's status, apply and verify; bad requests are typed errors and change nothing", async () => {
    const baton = await BatonClient.connect({ config: c.files.configFile });
    try {
      const status = await baton.status();
      assert.ok(
        c.config.plan.nodes.some((n) => n.name === status.coordinatorHost),
        String(status.coordinatorHost),
      );
      assert.ok(status.hosts['sample-db'], JSON.stringify(status.hosts));
      assert.deepEqual(status.running, []);
      assert.deepEqual(await baton.apply(c.files.configFile), {
        wasRunning: true,
        changes: [],
        refusals: [],
        applied: false,
      });

      const [latest] = await baton.snapshots('sample-db', 1);
      const verify = await baton.verify('sample-db');
      const verified = await verify.result();
      assert.equal(verified.state, 'succeeded', verified.error);
      assert.equal(verified.verify?.drive, latest?.drive);
      assert.equal(verified.verify?.ok, true);

      // restores and verifies only: the demo's hourly schedule may start a backup meanwhile
      const operations = async () => (await recentJobs(c.catalog, 1000)).filter((j) => j.kind !== 'backup').length;
      const jobs = await operations();
      const refused: [Promise<unknown>, new (...args: never[]) => Error, RegExp][] = [
        [baton.restore('ghost', { target: '/tmp/x' }), UnknownAppError, /^unknown app "ghost"/],
        [baton.restore('sample-db', { target: '/tmp/x', node: 'node-9' }), UnknownNodeError, /^unknown node/],
        [baton.restore('sample-db', { target: '/tmp/x', snapshot: 'ffff0000' }), SnapshotNotFoundError, /ffff0000/],
        [baton.verify('no-disk'), UnknownDriveError, /^unknown drive "no-disk"; drives in .*: node-1-disk/],
        [baton.apply({ ...c.config, cluster: 'other' }), OtherClusterError, /cluster other.*cluster demo/],
      ];
      for (const [call, type, message] of refused) {
        await assert.rejects(call, (err: Error) => err instanceof type && message.test(err.message));
      }
      assert.equal(await operations(), jobs);
    } finally {
      await baton.close();
    }
  });
});
