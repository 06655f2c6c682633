/**
 * Fresh restarts, for real: a Temporal dev server, three node processes, the static cluster service
 * moved as an HA stack would move it. (a) The app moves when its job's last checkpoint is older
 * than the app's maxCheckpointAge; (b) the app moves to a node that cannot see the drive the
 * checkpoint's data is on (node-3 runs in its own mount namespace, where the other nodes' drive
 * directories are empty tmpfs mounts). Either way the next attempt starts fresh, the reason is in
 * the attempt row, the job's `view` query and `baton job`, and the snapshot restores byte for byte.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { attemptsOf, latestCheckpoint } from '../../src/catalog/attempts';
import { jobEvents } from '../../src/catalog/jobs';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { loadConfig } from '../../src/config/load';
import { DEMO_APP, generateAppData } from '../../src/demo/demo-files';
import { startNodeProcess } from '../../src/demo/node-processes';
import type { BackupJobResult } from '../../src/model/backup';
import { waitFor, sleep } from '../../src/util/wait';
import { jobViewQuery } from '../../src/workflows/messages';
import { baton } from '../helpers/cli';
import { startNodeWithoutDrives } from '../helpers/fresh-restart';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { restoreSnapshot } from '../helpers/restore';
import { compareTrees } from '../helpers/tree';
import { secondNodeSkip } from '../helpers/first-node';

/** The test's maxCheckpointAge; checkpoints come every 10 s, so one is older than this for 8 s. */
const MAX_AGE_SECONDS = 2;

describe('fresh restart on a real cluster', { timeout: 600_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;

  const setMaxAge = async (seconds: number) => {
    const app = c.config.plan.apps.find((a) => a.name === DEMO_APP);
    assert.ok(app);
    app.maxCheckpointAgeSeconds = seconds;
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
  };

  const moveApp = (node: string) => {
    const map = readStaticMap(c.files.mapFile);
    map.apps[DEMO_APP] = node;
    writeStaticMap(c.files.mapFile, map);
  };

  const placed = (node: string) =>
    waitFor(`coordinator to see ${DEMO_APP} on ${node}`, async () => {
      const s = await coordinatorStatus(c.client, c.config.cluster);
      return s.hosts[DEMO_APP] === node;
    });

  const startBackupWithCheckpoint = async (expectNode: string) => {
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'fresh-restart-test', true);
    assert.equal(started.node, expectNode);
    const cp = await waitFor('a first checkpoint', () => latestCheckpoint(c.catalog, started.jobId), 60_000);
    return { jobId: started.jobId, checkpointAt: Date.parse(cp.at) };
  };

  const assertRestoresIdentically = async (result: BackupJobResult) => {
    assert.equal(result.state, 'succeeded', result.error);
    const target = await restoreSnapshot(c.config, result.outcome);
    assert.deepEqual(compareTrees(c.files.appDir, target), []);
  };

  /** The second attempt's restart, as the catalog, the job's query and `baton job` tell it. */
  const assertFreshEverywhere = async (jobId: string, from: string, to: string, reason: RegExp) => {
    const attempts = await attemptsOf(c.catalog, jobId);
    assert.deepEqual(
      attempts.map((a) => [a.node, a.drive, a.outcome, a.restart_kind, a.resumed_from_json]),
      [
        [from, `${from}-disk`, 'moved', null, null],
        [to, `${to}-disk`, 'succeeded', 'fresh', null],
      ],
    );
    assert.match(attempts[1].restart_reason ?? '', reason);
    const started = (await jobEvents(c.catalog, jobId)).filter((e) => e.kind === 'attempt-started');
    assert.match(started[1]?.message ?? '', /fresh restart: /);
    assert.match(started[1]?.message ?? '', reason);

    const view = await c.client.workflow.getHandle(jobId).query(jobViewQuery);
    assert.equal(view.attempts[1]?.restart?.kind, 'fresh');
    assert.match(view.attempts[1]?.restart?.reason ?? '', reason);

    const shown = baton(['job', jobId, '--config', c.files.configFile]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`2 +${to} +${to}-disk +\\d+ +succeeded +fresh: app moved from ${from}`));
    assert.match(shown.stdout, reason);
  };

  before(async () => {
    c = await startLocalCluster({
      nodes: false,
      demo: {
        // 40 MiB read at 2 MiB/s: 20 s, with a checkpoint every 10 s
        appFiles: 160,
        appFileKiB: 256,
        appBandwidthLimit: 2 * 1024 * 1024,
        jobs: { heartbeatTimeout: '3s', scheduleToStartTimeout: '10s', checkpointEvery: '10s', placementWait: '60s' },
      },
    });
    // the nodes' config says the same as the coordinator's plan (a node may start the coordinator)
    const yaml = readFileSync(c.files.configFile, 'utf8');
    writeFileSync(c.files.configFile, yaml.replace('maxCheckpointAge: 1h', `maxCheckpointAge: ${MAX_AGE_SECONDS}s`));
    c.config = loadConfig(c.files.configFile);
    const drives = join(c.dir, 'drives');
    c.nodes.push(startNodeProcess('node-1', c.files.configFile, c.dir));
    c.nodes.push(startNodeProcess('node-2', c.files.configFile, c.dir));
    // node-3 sees only its own drive: no SAN path to the others
    const hidden = [join(drives, 'node-1-disk'), join(drives, 'node-2-disk')];
    c.nodes.push(startNodeWithoutDrives('node-3', c.files.configFile, c.dir, hidden));
    await setMaxAge(MAX_AGE_SECONDS);
    await placed('node-2');
  });
  after(async () => c?.stop());

  test('a checkpoint older than maxCheckpointAge: the attempt on the new node starts fresh and says why', async () => {
    const { jobId, checkpointAt } = await startBackupWithCheckpoint('node-2');
    // let the checkpoint age past the policy, well before the next one (10 s after it)
    await sleep(Math.max(0, checkpointAt + (MAX_AGE_SECONDS + 1) * 1000 - Date.now()));
    moveApp('node-1');
    const result = await followJob(c.client, jobId, () => undefined, 500);
    await assertRestoresIdentically(result);
    assert.equal(result.outcome?.drive, join(c.dir, 'drives', 'node-1-disk'));
    await assertFreshEverywhere(
      jobId,
      'node-2',
      'node-1',
      new RegExp(
        `app moved from node-2 to node-1; the last checkpoint is \\d+ s old, older than the policy's ${MAX_AGE_SECONDS} s`,
      ),
    );
    const age = Number(
      /checkpoint is (\d+) s old/.exec((await attemptsOf(c.catalog, jobId))[1].restart_reason ?? '')?.[1],
    );
    console.log(`fresh restart (age): checkpoint ${age} s old at the decision, limit ${MAX_AGE_SECONDS} s`);
  });

  test('a checkpoint whose drive the new node cannot read: the attempt starts fresh and says why', async () => {
    // the age rule out of the way: only the drive can make this restart fresh
    await setMaxAge(3600);
    await placed('node-1');
    const { jobId } = await startBackupWithCheckpoint('node-1');
    moveApp('node-3');
    const result = await followJob(c.client, jobId, () => undefined, 500);
    await assertRestoresIdentically(result);
    assert.equal(result.outcome?.drive, join(c.dir, 'drives', 'node-3-disk'));
    await assertFreshEverywhere(
      jobId,
      'node-1',
      'node-3',
      /app moved from node-1 to node-3; node node-3 cannot read the checkpoint's data written on node-1/,
    );
  });

  test('a checkpoint whose sealed bytes were altered in the catalog is refused: the attempt starts fresh and says why', async () => {
    await placed('node-3');
    // twice the data (80 MiB at 2 MiB/s: 40 s), so the move lands well before the backup ends
    generateAppData(join(c.files.appDir, 'more'), 160, 256, 7);
    const { jobId } = await startBackupWithCheckpoint('node-3');
    const rows = await c.catalog.selectFrom('checkpoints').selectAll().where('job_id', '=', jobId).execute();
    assert.ok(rows.length > 0);
    let altered = '';
    for (const row of rows) {
      assert.equal(row.seal, 'aes-256-gcm');
      assert.equal(row.data_json, '', 'nothing of the checkpoint in clear');
      const bytes = Buffer.from(row.sealed ?? '', 'base64');
      bytes[bytes.length >> 1] ^= 0x01;
      altered = bytes.toString('base64');
      await c.catalog
        .updateTable('checkpoints')
        .set({ sealed: altered })
        .where('job_id', '=', jobId)
        .where('seq', '=', row.seq)
        .execute();
    }
    // The attempt on node-3 may save another checkpoint before the move stops it (one every 10 s;
    // on a loaded machine the move can take longer): a row it writes from now on gets the altered
    // bytes of an earlier one, sealed for another sequence number, which does not open either.
    await sql`CREATE TRIGGER alter_later_checkpoints AFTER INSERT ON checkpoints WHEN NEW.job_id = ${sql.lit(jobId)} AND NEW.node = 'node-3'
      BEGIN UPDATE checkpoints SET sealed = ${sql.lit(altered)} WHERE job_id = NEW.job_id AND seq = NEW.seq; END`.execute(
      c.catalog,
    );
    moveApp('node-1');
    const result = await followJob(c.client, jobId, () => undefined, 500);
    await assertRestoresIdentically(result);
    await assertFreshEverywhere(
      jobId,
      'node-3',
      'node-1',
      /app moved from node-3 to node-1; node node-1 cannot read the checkpoint's data written on node-3: checkpoint \d+ of job \S+ does not open with drive [0-9a-f]+'s key: the authentication tag does not verify/,
    );
    await sql`DROP TRIGGER alter_later_checkpoints`.execute(c.catalog);
    const refused = /checkpoint (\d+) of job/.exec((await attemptsOf(c.catalog, jobId))[1].restart_reason ?? '')?.[1];
    console.log(
      `fresh restart (altered): checkpoint ${refused} refused; ${rows.map((r) => r.seq).join(', ')} altered by hand`,
    );
    // the job ended: its checkpoints are gone, the timeline says so
    assert.equal(await latestCheckpoint(c.catalog, jobId), undefined);
    assert.ok((await jobEvents(c.catalog, jobId)).some((e) => e.kind === 'checkpoints-deleted'));
  });
});
