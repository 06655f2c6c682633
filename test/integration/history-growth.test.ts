/**
 * A job's history does not grow with its length (docs/restart-policy.md, "History size"): on a
 * real dev server with three node processes, a backup slowed by the app's bandwidth limit to
 * more than a minute writes no event to its job's history while its attempt runs, and as many
 * events in all as a backup of the same data at full speed; restore and verify write none while
 * their activity runs. Their live progress still reaches viewers, from the activities' heartbeat
 * details (`describe()`): `followJob`/`followOperation` (the CLI and the demo) and the drills'
 * ProgressWatch see it move, with a one-line summary, and the Web UI's current details say where it is.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { backupProgress } from '../../src/client/live-progress';
import { followOperation, startRestore, startVerify } from '../../src/client/operations-client';
import { DEMO_APP, DEMO_APP_HOST } from '../../src/demo/demo-files';
import { ProgressWatch } from '../../src/drill/progress-watch';
import type { BackupProgress } from '../../src/model/backup';
import type { OperationProgress } from '../../src/model/operations';
import type { BatonConfig } from '../../src/config/load';
import { activityWindows, historyOf } from '../helpers/history-growth';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { compareTrees } from '../helpers/tree';

const KiB = 1024;
/** 160 files of about 256 KiB: 40 MiB. */
const APP = { appFiles: 160, appFileKiB: 256 };
/** The slow backup's pace: 40 MiB in about 70 s. */
const SLOW_RATE = 600 * KiB;

/** The config with the sample app's bandwidth limit set to `rate` (handed to the coordinator). */
function withLimit(config: BatonConfig, rate: number): BatonConfig {
  const apps = config.plan.apps.map((a) => (a.name === DEMO_APP ? { ...a, bandwidthLimitBytesPerSecond: rate } : a));
  return { ...config, plan: { ...config.plan, apps } };
}

describe('history size does not grow with a job’s length', { timeout: 600_000 }, () => {
  let c: LocalCluster;
  let fastEvents = 0;

  before(async () => {
    c = await startLocalCluster({ demo: APP });
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    const fast = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test', true);
    const result = await followJob(c.client, fast.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded', result.error);
    fastEvents = (await historyOf(c.client, fast.jobId)).length;
  });
  after(async () => c?.stop());

  test('a backup slowed to over a minute writes no event while it runs, and its progress reaches every viewer', async () => {
    await ensureCoordinator(c.client, withLimit(c.config, SLOW_RATE), { tickSeconds: 1 });
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test', true);
    const watch = new ProgressWatch(c.client, started.jobId, 500).start();
    const handle = c.client.workflow.getHandle(started.jobId);
    const seen: BackupProgress[] = [];
    const summaries = new Set<string>();
    let details = '';
    const result = await followJob(
      c.client,
      started.jobId,
      (view) => {
        if (view.progress) seen.push(view.progress);
        void backupProgress(c.client, started.jobId)
          .then((beat) => beat && summaries.add(beat.summary))
          .catch(() => undefined);
        if (view.state === 'running' && !details) {
          void handle
            .query<{ currentDetails?: string }>('__temporal_workflow_metadata')
            .then((m) => (details = m.currentDetails ?? ''))
            .catch(() => undefined);
        }
      },
      1000,
    );
    watch.stop();
    assert.equal(result.state, 'succeeded', result.error);

    const events = await historyOf(c.client, started.jobId);
    const [window] = activityWindows(events, 'backupAttempt');
    console.log(
      `slow backup: ${Math.round(window.ms / 1000)} s running, ${window.events} events while it ran ` +
        `(${window.perMinute.toFixed(2)}/min), ${events.length} events in all; ` +
        `the same backup at full speed: ${fastEvents} events`,
    );
    assert.ok(window.ms >= 60_000, `the slowed backup ran only ${window.ms} ms`);
    assert.equal(window.events, 0, `events while the attempt ran: ${window.kinds.join(', ')}`);
    // a 70-second backup and one of a few seconds: the same history, within an event or two
    assert.ok(events.length <= fastEvents + 2, `${events.length} events against ${fastEvents} at full speed`);

    // the CLI's follow saw the progress move, about every second, on the attempt's epoch
    assert.ok(seen.length >= 30, `only ${seen.length} progress views in ${window.ms} ms`);
    const bytes = seen.map((p) => p.bytes);
    assert.deepEqual(
      bytes,
      [...bytes].sort((a, b) => a - b),
      'progress moves forward',
    );
    assert.ok(new Set(bytes).size >= 30, `${new Set(bytes).size} distinct figures`);
    assert.ok(
      seen.some((p) => p.checkpointAt !== null),
      'no checkpoint reported',
    );
    assert.ok(
      seen.some((p) => p.totalBytes > 0 && p.etaSeconds !== null),
      'no estimate from the previous snapshot',
    );
    // the drills' watch read it too, and the Web UI's heartbeat details read as one line
    const epoch = result.attempts?.at(-1)?.epoch ?? 0;
    assert.ok((watch.lastBytes(epoch) ?? 0) >= bytes[Math.floor(bytes.length / 2)], 'the drill watch lags behind');
    assert.ok(
      [...summaries].some((s) =>
        /^\d+%: \d+ of about \d+ files, [\d.]+ MiB of about 40\.\d MiB at [\d.]+ KiB\/s, /.test(s),
      ),
      [...summaries].slice(0, 3).join(' | '),
    );
    assert.match(details, /\*\*running\*\* backup of `sample-db` on `node-2` to drive `node-2-disk`, attempt 1/);
    assert.match(details, /live progress: the `summary` in the heartbeat details of the pending `backupAttempt`/);
  });

  test('restore and verify write no event while their activity runs, and show their progress', async () => {
    const target = join(c.dir, 'restores', 'growth');
    mkdirSync(join(c.dir, 'restores'), { recursive: true });
    const restoreId = await startRestore(c.client, c.config, {
      app: DEMO_APP,
      snapshotId: null,
      node: 'node-3',
      target,
      subtree: null,
      requestedBy: 'test',
    });
    const restoreSeen: OperationProgress[] = [];
    const restored = await followOperation(c.client, restoreId, (v) => v.progress && restoreSeen.push(v.progress), 250);
    assert.equal(restored.state, 'succeeded', restored.error);
    assert.deepEqual(compareTrees(c.files.appDir, target), []);

    const drive = c.config.plan.drives.find((d) => d.name === `${DEMO_APP_HOST}-disk`);
    assert.ok(drive);
    const verifyId = await startVerify(c.client, c.config, drive, true, 'test');
    const verifySeen: OperationProgress[] = [];
    const verified = await followOperation(c.client, verifyId, (v) => v.progress && verifySeen.push(v.progress), 250);
    assert.equal(verified.state, 'succeeded', verified.error);

    for (const [id, type, seen] of [
      [restoreId, 'restoreSnapshot', restoreSeen],
      [verifyId, 'verifyDrive', verifySeen],
    ] as const) {
      const [window] = activityWindows(await historyOf(c.client, id), type);
      console.log(`${type}: ${window.ms} ms running, ${window.events} events while it ran`);
      assert.equal(window.events, 0, `${type}: events while it ran: ${window.kinds.join(', ')}`);
      if (window.ms >= 4000) {
        // long enough for a heartbeat to reach the server and a follower to see it
        assert.ok(
          seen.some((p) => p.bytes > 0 && p.bytes < (verified.verify?.bytesRead ?? 0) + (restored.restore?.bytes ?? 0)),
          `${type}: no live progress seen in ${window.ms} ms`,
        );
      }
    }
  });
});
