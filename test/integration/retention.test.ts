/**
 * Retention run by the cluster, for real: a Temporal dev server, three node processes, the sample
 * app with `keep: {last: 2}` in baton.yaml. Three backups, each followed by the coordinator's
 * retention job on the app's drive; the third forgets the first snapshot on the drive and in the
 * catalog. `baton snapshots` lists the two kept, a restore of the older kept one is byte-identical,
 * a restore of the forgotten one is refused in one line, the drive verifies clean (every byte read),
 * and `baton retention run` by hand finds nothing more to forget.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { jobEvents } from '../../src/catalog/jobs';
import { loadConfig, repositoryPassword } from '../../src/config/load';
import { DEMO_APP, DEMO_APP_HOST } from '../../src/demo/demo-files';
import { listSnapshots, openDrive } from '../../src/engine';
import type { RetentionOutcome, RetentionResult } from '../../src/model/operations';
import { waitFor } from '../../src/util/wait';
import { baton } from '../helpers/cli';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { compareTrees } from '../helpers/tree';

/** 256 KiB that differ for each `n`, so each backup has data of its own for prune to free. */
function version(n: number): Buffer {
  const b = Buffer.alloc(256 * 1024);
  let x = 0x9e3779b9 ^ n;
  for (let i = 0; i < b.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('retention on a real cluster', { timeout: 400_000 }, () => {
  let c: LocalCluster;
  const snapshots: string[] = [];
  const driveName = `${DEMO_APP_HOST}-disk`;
  const cli = (args: string[]) => baton([...args, '--config', c.files.configFile]);
  const marker = () => join(c.files.appDir, 'retention-marker.bin');
  /** The marker file as backup `n` saw it: its content and its mtime. */
  const writeVersion = (n: number) => {
    writeFileSync(marker(), version(n));
    utimesSync(marker(), 1_700_000_000 + n, 1_700_000_000 + n);
  };
  const retentionRows = () =>
    c.catalog.selectFrom('jobs').selectAll().where('kind', '=', 'retention').orderBy('started_at').execute();

  before(async () => {
    c = await startLocalCluster();
    const file = c.files.configFile;
    const yaml = readFileSync(file, 'utf8');
    const line = `    paths: [apps/${DEMO_APP}]\n`;
    assert.ok(yaml.includes(line));
    writeFileSync(file, yaml.replace(line, `${line}    keep: { last: 2 }\n`));
    await ensureCoordinator(c.client, loadConfig(file), { tickSeconds: 1 });
    for (let n = 1; n <= 3; n++) {
      writeVersion(n);
      const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'retention-test');
      const result = await followJob(c.client, started.jobId, () => undefined, 500);
      assert.equal(result.state, 'succeeded', result.error);
      snapshots.push(result.outcome?.snapshotId ?? '');
      // The coordinator's retention job after this backup ends before the next backup starts.
      await waitFor(
        `retention job ${n} to end`,
        async () => {
          const rows = await retentionRows();
          return rows.length === n && rows.every((r) => r.state !== 'running');
        },
        60_000,
      );
    }
  });
  after(async () => c?.stop());

  test('each backup was followed by a retention job on its drive; the third forgot the oldest snapshot', async () => {
    const rows = await retentionRows();
    assert.deepEqual(
      rows.map((r) => [r.state, r.drive, r.node, r.requested_by, Number(r.files)]),
      [
        ['succeeded', driveName, DEMO_APP_HOST, 'coordinator (after a backup)', 0],
        ['succeeded', driveName, DEMO_APP_HOST, 'coordinator (after a backup)', 0],
        ['succeeded', driveName, DEMO_APP_HOST, 'coordinator (after a backup)', 1],
      ],
    );
    assert.match(rows[2].id, new RegExp(`^baton-retention-demo-${driveName}-\\d{8}T\\d{6}\\.\\d{3}Z$`));
    const events = await jobEvents(c.catalog, rows[2].id);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['retention-started', 'retention-finished'],
    );
    assert.match(events[0].message, /sample-db keeps last 2/);
    const outcome = JSON.parse(events[1].data_json ?? '{}') as RetentionOutcome;
    assert.deepEqual(outcome.forgotten, [snapshots[0]]);
    assert.deepEqual([...outcome.kept].sort(), [snapshots[1], snapshots[2]].sort());
    assert.equal(outcome.catalogMarked, 1);
    // Prune ran; the first snapshot's own chunks share packs with data the others use (prune does
    // not repack), so no pack needs to go here.
    assert.equal(typeof outcome.packsDeleted, 'number');

    // On the drive: only the two kept.
    const drivePath = c.config.plan.drives.find((d) => d.name === driveName)?.path ?? '';
    const drive = await openDrive(drivePath, { password: repositoryPassword(c.config) });
    assert.deepEqual((await listSnapshots(drive)).map((s) => s.id).sort(), [snapshots[1], snapshots[2]].sort());
    // In the catalog: the first is marked forgotten by that job.
    const first = await c.catalog.selectFrom('snapshots').selectAll().where('id', '=', snapshots[0]).executeTakeFirst();
    assert.equal(first?.forgotten_by, rows[2].id);
    assert.ok(first?.forgotten_at);
  });

  test('baton snapshots lists the two kept, newest first; an unknown app is a one-line error', () => {
    const r = cli(['snapshots', DEMO_APP, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const listed = JSON.parse(r.stdout) as { id: string; drive: string; node: string; files: number }[];
    assert.deepEqual(
      listed.map((s) => [s.id, s.drive, s.node]),
      [
        [snapshots[2], driveName, DEMO_APP_HOST],
        [snapshots[1], driveName, DEMO_APP_HOST],
      ],
    );
    const text = cli(['snapshots', DEMO_APP]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^TIME\s+ID\s+DRIVE\s+NODE\s+SIZE\s+FILES\n/);
    assert.equal(text.stdout.trim().split('\n').length, 4, text.stdout); // header, two rows, the policy
    assert.match(text.stdout, /keep: last 2 per drive/);
    const unknown = cli(['snapshots', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^baton: unknown app "nope"; apps in .*: sample-db, drill-db\n$/);
  });

  test('a kept snapshot restores byte for byte; the forgotten one is refused and nothing is written', () => {
    mkdirSync(join(c.dir, 'restores'), { recursive: true });
    const target = join(c.dir, 'restores', 'kept');
    const r = cli(['restore', DEMO_APP, '--snapshot', snapshots[1].slice(0, 12), '--target', target, '--wait']);
    assert.equal(r.code, 0, r.stderr);
    writeVersion(2); // the app's data as snapshot 2 saw it
    assert.deepEqual(compareTrees(c.files.appDir, target), []);

    const gone = join(c.dir, 'restores', 'forgotten');
    const refused = cli(['restore', DEMO_APP, '--snapshot', snapshots[0].slice(0, 12), '--target', gone]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `^baton: snapshot ${snapshots[0].slice(0, 12)} of app ${DEMO_APP} was forgotten on \\S+ by baton-retention-\\S+ ` +
          `\\(the app's keep policy\\) and is no longer on drive ${driveName}; restore one it keeps: .*\\n$`,
      ),
    );
    assert.equal(existsSync(gone), false);
  });

  test('the drive verifies clean reading every byte, and a retention run by hand forgets nothing more', () => {
    const v = cli(['verify', driveName, '--read-data', '--wait']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /succeeded: no errors in 2 snapshots/);

    const run = cli(['retention', 'run', DEMO_APP, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const [result, ...more] = JSON.parse(run.stdout) as RetentionResult[];
    assert.equal(more.length, 0);
    assert.equal(result.state, 'succeeded');
    assert.equal(result.drive, driveName);
    assert.deepEqual(result.outcome?.forgotten, []);
    assert.equal(result.outcome?.kept.length, 2);

    const noKeep = cli(['retention', 'run', 'drill-db']);
    assert.equal(noKeep.code, 1);
    assert.match(noKeep.stderr, /^baton: app "drill-db" has no keep policy in .*; add one under the app/);
  });
});
