/**
 * SIGTERM to a node process running a backup, for real (dev server, three node processes): the
 * backup checkpoints at once, its attempt fails with "stopped with node ...", the process exits
 * well within its grace time, and the job resumes where the app went from that very checkpoint,
 * counting no file or byte twice, ending in a byte-identical restore.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { attemptsOf } from '../../src/catalog/attempts';
import { jobEvents } from '../../src/catalog/jobs';
import { repositoryPassword } from '../../src/config/load';
import { openDrive } from '../../src/engine';
import { openCheckpoint, type CheckpointSealKind } from '../../src/engine/checkpoint-seal';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { DEMO_APP } from '../../src/demo/demo-files';
import { waitFor } from '../../src/util/wait';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { restoreSnapshot } from '../helpers/restore';
import { compareTrees } from '../helpers/tree';

/** The node's grace time: the config's checkpoint interval, long enough that only the stop checkpoints. */
const CHECKPOINT_EVERY_S = 30;

function treeTotals(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    const st = statSync(join(dir, name));
    if (st.isDirectory()) {
      const sub = treeTotals(join(dir, name));
      files += sub.files;
      bytes += sub.bytes;
    } else {
      files++;
      bytes += st.size;
    }
  }
  return { files, bytes };
}

describe('a node process stopped with SIGTERM mid-backup', { timeout: 300_000 }, () => {
  let c: LocalCluster;

  before(async () => {
    c = await startLocalCluster({
      demo: {
        // 40 MiB at 3 MiB/s: about 13 s, so the backup is mid-way when the node is stopped
        appFiles: 160,
        appFileKiB: 256,
        jobs: { heartbeatTimeout: '3s', scheduleToStartTimeout: '10s', checkpointEvery: `${CHECKPOINT_EVERY_S}s` },
        appBandwidthLimit: 3 * 1024 * 1024,
      },
    });
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    await waitFor('coordinator to see the app on node-2', async () => {
      const s = await coordinatorStatus(c.client, c.config.cluster);
      return s.hosts[DEMO_APP] === 'node-2';
    });
  });
  after(async () => c?.stop());

  test('the backup checkpoints at stop and resumes from that checkpoint where the app went', async () => {
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'graceful-stop-test', true);
    assert.equal(started.node, 'node-2');
    await waitFor('attempt 1 to run', async () => (await attemptsOf(c.catalog, started.jobId)).length === 1);
    await new Promise((r) => setTimeout(r, 4000)); // about 12 MiB in

    const node2 = c.nodes.find((n) => n.node === 'node-2')!.child;
    const exited = new Promise<number | null>((r) => node2.once('exit', (code) => r(code)));
    const stoppedAt = Date.now();
    c.signal('node-2', 'SIGTERM');
    const code = await exited;
    const exitMs = Date.now() - stoppedAt;
    console.log(`SIGTERM to exit: ${(exitMs / 1000).toFixed(1)} s (grace ${CHECKPOINT_EVERY_S} s)`);
    assert.equal(code, 0, 'the node process exits cleanly');
    assert.ok(exitMs < CHECKPOINT_EVERY_S * 1000, `took ${exitMs} ms, beyond the grace time`);

    // The only checkpoint of attempt 1 is the one taken at the stop, after the signal.
    const cps = await c.catalog.selectFrom('checkpoints').selectAll().where('job_id', '=', started.jobId).execute();
    assert.equal(cps.length, 1, JSON.stringify(cps.map((cp) => [cp.node, cp.seq, cp.at])));
    const stopCp = cps[0];
    assert.equal(stopCp.node, 'node-2');
    // sealed with node-2's drive key: opened here the way a resuming node opens it
    const drive = await openDrive(stopCp.drive_path ?? '', { password: repositoryPassword(c.config) });
    const place = { jobId: started.jobId, seq: stopCp.seq, driveId: stopCp.drive_id ?? '' };
    const sealed = { seal: stopCp.seal as CheckpointSealKind, data: stopCp.sealed ?? '' };
    assert.equal(openCheckpoint(drive.key, place, sealed).reason, 'stop');
    assert.ok(Date.parse(stopCp.at) >= stoppedAt - 1000, `checkpoint at ${stopCp.at}, before the SIGTERM`);
    assert.ok(stopCp.files > 0);

    // The HA stack moves the app off the stopped node; the job follows it.
    const map = readStaticMap(c.files.mapFile);
    map.apps[DEMO_APP] = 'node-3';
    writeStaticMap(c.files.mapFile, map);
    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded', result.error);
    const target = await restoreSnapshot(c.config, result.outcome);
    assert.deepEqual(compareTrees(c.files.appDir, target), []);

    const attempts = await attemptsOf(c.catalog, started.jobId);
    const first = attempts[0];
    const last = attempts[attempts.length - 1];
    assert.deepEqual([first.node, first.outcome], ['node-2', 'failed']);
    // When the job asked for the app's host before the move, one more attempt waited on node-2.
    for (const a of attempts.slice(1, -1))
      assert.ok(a.node === 'node-2' && a.outcome !== 'succeeded', JSON.stringify(a));
    assert.deepEqual([last.node, last.outcome, last.restart_kind], ['node-3', 'succeeded', 'checkpoint']);
    assert.match(attempts[1].restart_reason ?? '', /stopped with node node-2 \(SIGTERM/);
    const resumedFrom = JSON.parse(last.resumed_from_json ?? 'null') as { node: string; files: number; bytes: number };
    assert.deepEqual(
      [resumedFrom.node, resumedFrom.files, resumedFrom.bytes],
      [stopCp.node, stopCp.files, stopCp.bytes],
      'the last attempt resumed from the checkpoint taken at the stop',
    );
    // Resumed, not re-read: the snapshot counts each file and byte of the app once.
    const totals = treeTotals(c.files.appDir);
    assert.deepEqual([result.outcome?.files, result.outcome?.bytes], [totals.files, totals.bytes]);

    const events = await jobEvents(c.catalog, started.jobId);
    assert.ok(
      events.some((e) => e.kind === 'attempt-stopped' && /after saving checkpoint \d+/.test(e.message)),
      JSON.stringify(events.map((e) => [e.kind, e.message])),
    );
  });
});
