/**
 * Restore and verify through the cluster, for real: a Temporal dev server, three node processes,
 * `baton restore` and `baton verify` as a user runs them. A backup of the sample app is restored
 * through the workflow onto another node's directory and compared byte for byte; bad requests are
 * refused in one line and change nothing; a drive verifies clean, then a flipped byte in one of its
 * packs fails the verify (naming the pack) and a restore from it (naming the pack and the file).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { freePort } from '../../src/devtools/dev-server';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { followOperation, startRestore } from '../../src/client/operations-client';
import { getJob, jobEvents, recentJobs } from '../../src/catalog/jobs';
import { DEMO_APP, DEMO_APP_HOST } from '../../src/demo/demo-files';
import { SEARCH_ATTRIBUTES } from '../../src/model/names';
import type { OperationResult } from '../../src/model/operations';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { baton } from '../helpers/cli';
import { compareTrees } from '../helpers/tree';
import { summaryLine } from '../helpers/json-lines';

describe('restore and verify on a real cluster', { timeout: 400_000 }, () => {
  let c: LocalCluster;
  let snapshotId: string;
  const drive = `${DEMO_APP_HOST}-disk`;
  const cli = (args: string[]) => baton([...args, '--config', c.files.configFile]);
  // restores and verifies only: the demo app's hourly schedule may start a backup (and its retention) meanwhile
  const jobCount = async () =>
    (await recentJobs(c.catalog, 1000)).filter((j) => j.kind === 'restore' || j.kind === 'verify').length;

  before(async () => {
    c = await startLocalCluster();
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test');
    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded');
    snapshotId = result.outcome?.snapshotId ?? '';
  });
  after(async () => c?.stop());

  test('baton restore --wait restores the latest snapshot onto another node, byte for byte', async () => {
    const target = join(c.dir, 'restores', 'on-node-3');
    mkdirSync(join(c.dir, 'restores'), { recursive: true });
    const r = cli(['restore', DEMO_APP, '--target', target, '--node', 'node-3', '--wait', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = summaryLine<OperationResult>(r.stdout);
    assert.equal(result.state, 'succeeded');
    assert.equal(result.node, 'node-3');
    assert.equal(result.restore?.snapshotId, snapshotId);
    assert.equal(result.restore?.target, target);
    assert.deepEqual(compareTrees(c.files.appDir, target), []);

    const row = await getJob(c.catalog, result.jobId);
    assert.equal(row?.kind, 'restore');
    assert.equal(row?.state, 'succeeded');
    assert.equal(row?.node, 'node-3');
    assert.equal(Number(row?.files), result.restore?.files);
    const events = await jobEvents(c.catalog, result.jobId);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['restore-started', 'restore-finished'],
    );
    assert.match(events[1].message, new RegExp(`^restore of ${DEMO_APP} succeeded: ${result.restore?.files} files`));

    const description = await c.client.workflow.getHandle(result.jobId).describe();
    assert.match(result.jobId, new RegExp(`^baton-restore-${c.config.cluster}-${DEMO_APP}-\\d{8}T\\d{6}\\.\\d{3}Z$`));
    assert.equal(await description.staticSummary(), `Restore of app ${DEMO_APP} (cluster demo)`);
    const attrs = description.typedSearchAttributes;
    assert.equal(attrs.get(SEARCH_ATTRIBUTES.cluster), 'demo');
    assert.equal(attrs.get(SEARCH_ATTRIBUTES.app), DEMO_APP);
    assert.equal(attrs.get(SEARCH_ATTRIBUTES.node), 'node-3');
    assert.equal(attrs.get(SEARCH_ATTRIBUTES.state), 'succeeded');

    const job = cli(['job', result.jobId]);
    assert.equal(job.code, 0, job.stderr);
    assert.match(job.stdout, new RegExp(`^${result.jobId}: succeeded, restore of ${DEMO_APP} requested by cli:`));
  });

  test('by default the restore goes to the app’s current host; --path restores one directory', async () => {
    const target = join(c.dir, 'restores', 'default-node');
    const jobId = await startRestore(c.client, c.config, {
      app: DEMO_APP,
      snapshotId: snapshotId.slice(0, 10),
      node: null,
      target,
      subtree: 'table-03',
      requestedBy: 'test',
    });
    const result = await followOperation(c.client, jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded', result.error);
    assert.equal(result.node, DEMO_APP_HOST);
    assert.deepEqual(compareTrees(join(c.files.appDir, 'table-03'), target), []);
  });

  test('--path twice, a file and a directory, restores exactly those; a missing one is refused', () => {
    const target = join(c.dir, 'restores', 'two-paths');
    const r = cli(['restore', DEMO_APP, '--target', target, '--path', 'README.txt', '--path', '/table-02/', '--wait']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`into ${target} \\(only README\\.txt, table-02\\)`));
    assert.deepEqual(readdirSync(target).sort(), ['README.txt', 'table-02']);
    assert.deepEqual(readFileSync(join(target, 'README.txt')), readFileSync(join(c.files.appDir, 'README.txt')));
    assert.deepEqual(compareTrees(join(c.files.appDir, 'table-02'), join(target, 'table-02')), []);

    const refused = join(c.dir, 'restores', 'missing-path');
    const bad = cli(['restore', DEMO_APP, '--target', refused, '--path', 'README.txt', '--path', 'table-99', '--wait']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^baton: .*no file or directory table-99 in snapshot [0-9a-f]{12}; check the path/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.throws(() => statSync(refused), /ENOENT/, 'nothing is written');
  });

  test('bad requests get a one-line error and change nothing', async () => {
    const jobs = await jobCount();
    const full = join(c.dir, 'restores', 'not-empty');
    mkdirSync(full, { recursive: true });
    writeFileSync(join(full, 'keep.txt'), 'mine\n');
    const file = join(c.dir, 'restores', 'a-file');
    writeFileSync(file, 'mine\n');
    const cases: { name: string; args: string[]; error: RegExp }[] = [
      {
        name: 'unknown app',
        args: ['restore', 'ghost', '--target', join(c.dir, 'restores', 'x')],
        error: /^baton: unknown app "ghost"; apps in .*baton\.yaml: sample-db, drill-db$/,
      },
      {
        name: 'unknown snapshot',
        args: ['restore', DEMO_APP, '--target', join(c.dir, 'restores', 'x'), '--snapshot', 'deadbeef'],
        error: new RegExp(
          `^baton: no snapshot deadbeef of app ${DEMO_APP} in the catalog; the app's latest: ${snapshotId.slice(0, 12)} `,
        ),
      },
      {
        name: 'an app never backed up',
        args: ['restore', 'drill-db', '--target', join(c.dir, 'restores', 'x')],
        error:
          /^baton: app drill-db has no snapshot in the catalog; back it up first with `baton backup drill-db --wait`$/,
      },
      {
        name: 'unknown node',
        args: ['restore', DEMO_APP, '--target', join(c.dir, 'restores', 'x'), '--node', 'node-9'],
        error: /^baton: unknown node "node-9"; nodes in .*baton\.yaml: node-1, node-2, node-3$/,
      },
      {
        name: 'a target that is not empty',
        args: ['restore', DEMO_APP, '--target', full, '--node', 'node-1'],
        error: new RegExp(
          `^baton: restore target ${full} on node node-1 is not empty \\(1 entry\\); restore into an empty or new directory`,
        ),
      },
      {
        name: 'a target that is a file',
        args: ['restore', DEMO_APP, '--target', file],
        error: new RegExp(`^baton: restore target ${file} on node ${DEMO_APP_HOST} exists and is not a directory`),
      },
      {
        name: 'a target whose parent is missing',
        args: ['restore', DEMO_APP, '--target', join(c.dir, 'nowhere', 'x')],
        error:
          /^baton: restore target .*nowhere\/x on node node-2 cannot be created: its parent .*nowhere is not a directory/,
      },
      {
        name: 'a --path that leaves the snapshot',
        args: ['restore', DEMO_APP, '--target', join(c.dir, 'restores', 'x'), '--path', '../etc'],
        error: /^baton: --path \.\.\/etc leaves the snapshot; name a directory inside it/,
      },
      {
        name: 'unknown drive',
        args: ['verify', 'no-disk'],
        error: /^baton: unknown drive "no-disk"; drives in .*baton\.yaml: node-1-disk, node-2-disk, node-3-disk$/,
      },
    ];
    for (const k of cases) {
      const r = cli(k.args);
      assert.equal(r.code, 1, `${k.name}: ${r.stdout}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${k.name}: ${r.stderr}`);
      assert.match(r.stderr.trim(), k.error, k.name);
    }
    assert.deepEqual(readdirSync(full), ['keep.txt']);
    assert.equal(readFileSync(file, 'utf8'), 'mine\n');
    assert.ok(!readdirSync(join(c.dir, 'restores')).includes('x'));
    assert.equal(await jobCount(), jobs);
  });

  test('no server reachable: restore and verify say so in one line', async () => {
    const port = await freePort();
    const config = join(c.dir, 'unreachable.yaml');
    writeFileSync(
      config,
      `cluster: demo\ntemporal: { address: '127.0.0.1:${port}' }\nnodes: [{name: n1}]\n` +
        `drives: [{name: d1, node: n1, path: d}]\napps: [{name: a, paths: [/tmp]}]\n`,
    );
    for (const args of [
      ['restore', 'a', '--target', join(c.dir, 'restores', 'z')],
      ['verify', 'd1'],
    ]) {
      const r = baton([...args, '--config', config]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`^baton: no Temporal server answers at 127\\.0\\.0\\.1:${port}; start the demo`),
      );
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  test('the workflow itself refuses an unknown snapshot (a client that skips the CLI’s checks)', async () => {
    const jobs = await jobCount();
    const jobId = await startRestore(c.client, c.config, {
      app: DEMO_APP,
      snapshotId: 'abcdef012345',
      node: 'node-1',
      target: join(c.dir, 'restores', 'y'),
      subtree: null,
      requestedBy: 'test',
    });
    const err = await c.client.workflow
      .getHandle(jobId)
      .result()
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'UnknownSnapshot');
    assert.match(err.cause.message, /^no snapshot abcdef012345 of app sample-db in the catalog/);
    assert.equal(await jobCount(), jobs);
    assert.ok(!readdirSync(join(c.dir, 'restores')).includes('y'));
  });

  test('--no-setuid and --no-devices: a setuid file comes back without the bit, a device node (as root) not at all, and the result says so', async () => {
    // a setuid file (and, as root, a device node) in the app's data, backed up once more
    const tool = join(c.files.appDir, 'setuid-tool');
    const device = join(c.files.appDir, 'null-like');
    const isRoot = process.getuid?.() === 0;
    writeFileSync(tool, '#!/bin/sh\n');
    chmodSync(tool, 0o4755);
    if (isRoot) execFileSync('mknod', ['-m', '600', device, 'c', '1', '3']);
    try {
      const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test');
      const backedUp = await followJob(c.client, started.jobId, () => undefined, 500);
      assert.equal(backedUp.state, 'succeeded', backedUp.error ?? '');
      const target = join(c.dir, 'restores', 'no-setuid');
      const paths = ['--path', 'setuid-tool', ...(isRoot ? ['--path', 'null-like'] : [])];
      const r = cli([
        'restore',
        DEMO_APP,
        '--target',
        target,
        ...paths,
        '--no-devices',
        '--no-setuid',
        '--wait',
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const result = summaryLine<OperationResult>(r.stdout);
      assert.equal(result.state, 'succeeded', result.error);
      assert.equal(result.restore?.setuidStripped, 1);
      assert.equal(statSync(join(target, 'setuid-tool')).mode & 0o7777, 0o755);
      if (isRoot) {
        assert.deepEqual(result.restore?.skipped, [
          { path: join(target, 'null-like'), message: 'device node not restored: --no-devices' },
        ]);
        assert.deepEqual(readdirSync(target), ['setuid-tool']);
      }
      const events = await jobEvents(c.catalog, result.jobId);
      assert.match(events.at(-1)?.message ?? '', /\(1 without setuid\/setgid\)$/);
    } finally {
      rmSync(tool, { force: true });
      rmSync(device, { force: true });
    }
  });

  test('verify --read-data passes; a flipped byte in a pack fails it, naming the pack, and a restore names the file', async () => {
    const ok = cli(['verify', drive, '--read-data', '--wait', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const clean = summaryLine<OperationResult>(ok.stdout);
    assert.equal(clean.verify?.ok, true);
    assert.equal(clean.node, DEMO_APP_HOST);
    assert.ok((clean.verify?.bytesRead ?? 0) > 0);
    assert.match(clean.jobId, new RegExp(`^baton-verify-${c.config.cluster}-${drive}-`));
    assert.deepEqual(
      (await jobEvents(c.catalog, clean.jobId)).map((e) => e.kind),
      ['verify-started', 'verify-finished'],
    );

    // The largest pack holds file data; flip one byte in its middle.
    const data = join(c.dir, 'drives', drive, 'data');
    const packs = readdirSync(data).flatMap((sub) => readdirSync(join(data, sub)).map((id) => join(data, sub, id)));
    const pack = packs.sort((a, b) => statSync(b).size - statSync(a).size)[0];
    const packId = pack.split('/').pop() ?? '';
    const bytes = readFileSync(pack);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(pack, bytes);

    const bad = cli(['verify', drive, '--read-data', '--wait']);
    assert.equal(bad.code, 1, bad.stdout);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(
      bad.stderr,
      new RegExp(`^baton: verify of drive ${drive} on ${DEMO_APP_HOST} found \\d+ errors? in pack ${packId}: `),
    );
    const failedId = /started (\S+):/.exec(bad.stdout)?.[1] ?? '';
    const description = await c.client.workflow.getHandle(failedId).describe();
    assert.equal(description.status.name, 'FAILED');
    assert.equal(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.state), 'failed');
    const events = await jobEvents(c.catalog, failedId);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['verify-started', 'verify-failed'],
    );
    assert.match(events[1].message, new RegExp(packId));

    const target = join(c.dir, 'restores', 'from-damaged');
    const r = cli(['restore', DEMO_APP, '--target', target, '--node', 'node-1', '--wait']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      new RegExp(
        `^baton: restore of ${DEMO_APP} failed: blob \\w+ in pack ${packId} .*\\(restoring ${target}/table-\\d+/segment-\\d+\\.dat\\)`,
      ),
    );
  });
});
