/**
 * A tape drive's forget and prune killed mid-way with SIGKILL (a real `baton repo forget --prune`
 * process, killed as its prune takes its lock, as it writes its new index, and once its new volume pool
 * is in place, while it relabels the recycled volumes), each time after three fresh backups of 6 MiB (a volume each), with the snapshots
 * in a real SQLite catalog as the cluster records them. After each kill the retention activity
 * (the one a node runs, over the same catalog) finishes: nothing is left to prune (the forgotten
 * snapshots' packs are gone from the index and their volumes recycled), `baton repo verify
 * --read-data` is clean, the kept snapshot restores byte for byte, and the catalog lists exactly
 * the snapshots the drive holds. A kill after forget and before prune's end used to leave the
 * forgotten snapshots' volumes in use for good: the next retention forgot nothing and so did not
 * prune (src/activities/retention-activities.ts).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, utimesSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openCatalog, type Catalog } from '../../src/catalog/open';
import { liveSnapshotIds } from '../../src/catalog/snapshots';
import { BATON_BIN } from '../../src/demo/node-processes';
import { backup, listSnapshots, openDrive, prune, restore, type Drive } from '../../src/engine';
import { BlobIndex } from '../../src/engine/index-file';
import { readPool, startedVolumes } from '../../src/engine/tape-volumes';
import type { RetentionOutcome } from '../../src/model/operations';
import { createDrive, PASSWORD, prng } from '../helpers/engine';
import { secondNodeSkip } from '../helpers/first-node';
import { applyRetentionOnN1 } from '../helpers/retention';
import { tempDir } from '../helpers/temp';

const MiB = 1024 * 1024;
const DRIVE = 't1';

type Phase = 'prune-lock' | 'new-index' | 'volume-pool';

describe('a tape prune killed with SIGKILL mid-way', { timeout: 240_000, skip: secondNodeSkip() }, () => {
  const tmp = tempDir('baton-tape-kill-');
  const path = join(tmp.path, 'tape');
  const src = join(tmp.path, 'src');
  /** each snapshot's data seed */
  const seeds = new Map<string, string>();
  let drive: Drive;
  let db: Catalog;

  before(async () => {
    drive = await createDrive(path, { kind: 'tape', volumeSize: 10 * MiB, volumes: 32 });
    db = await openCatalog(`sqlite:${join(tmp.path, 'catalog.db')}`);
    mkdirSync(src);
  });
  after(async () => {
    await db?.destroy();
    tmp.cleanup();
  });

  /** A backup of 6 MiB of its own (a volume of its own), recorded in the catalog as a backup job does. */
  async function backupVersion(seed: string): Promise<void> {
    writeFileSync(join(src, 'data'), prng(seed, 6 * MiB));
    const r = await backup({ drive, app: 'db', sources: src, cachePath: null, password: PASSWORD });
    seeds.set(r.snapshotId, seed);
    const at = new Date().toISOString();
    await db
      .insertInto('snapshots')
      .values({
        id: r.snapshotId,
        job_id: `job-${seed}`,
        cluster: 'c',
        app: 'db',
        drive: DRIVE,
        drive_path: path,
        at,
        files: 1,
        bytes: 6 * MiB,
        new_bytes: 6 * MiB,
        incomplete: 0,
      })
      .execute();
  }

  let indexBefore = new Set<string>();

  /** Whether a change to `name` (in the watched directory) shows `phase` has begun: the moment to kill. */
  function reached(phase: Phase, name: string): boolean {
    if (phase === 'new-index') return !indexBefore.has(name);
    // the pool file renamed into place: the volumes are free in it, their relabelling under way
    if (phase === 'volume-pool') return name === 'tape-volumes.json';
    // prune-lock: any lock file now there whose purpose is prune (forget's came and went first)
    return readdirSync(join(path, 'locks')).some((lock) => {
      try {
        const text = readFileSync(join(path, 'locks', lock), 'utf8');
        return (JSON.parse(text) as { purpose?: string }).purpose === 'prune';
      } catch {
        return false;
      }
    });
  }

  /** Runs `baton repo forget --keep-last 1 --prune` and SIGKILLs it as soon as `phase` begins. */
  async function forgetKilledAt(phase: Phase): Promise<void> {
    indexBefore = new Set(readdirSync(join(path, 'index')));
    const dir = phase === 'prune-lock' ? join(path, 'locks') : phase === 'new-index' ? join(path, 'index') : path;
    const child = spawn(
      process.execPath,
      [BATON_BIN, 'repo', 'forget', '--drive', path, '--keep-last', '1', '--prune'],
      {
        env: { ...process.env, BATON_PASSWORD: PASSWORD },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const watcher = watch(dir, (_event, name) => {
      if (child.exitCode === null && name !== null && reached(phase, name)) child.kill('SIGKILL');
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    watcher.close();
    assert.equal(
      signal,
      'SIGKILL',
      `baton repo forget --prune ended (${code}) before it was killed at ${phase}: ${output}`,
    );
  }

  function retention(phase: Phase): Promise<RetentionOutcome> {
    return applyRetentionOnN1(
      db,
      { name: DRIVE, node: 'n1', kind: 'tape', path },
      `baton-retention-c-${DRIVE}-${phase}`,
    );
  }

  for (const phase of ['prune-lock', 'new-index', 'volume-pool'] as const) {
    test(`killed at ${phase}: the next retention finishes, the drive verifies clean, the kept snapshot restores, the catalog agrees`, async (t) => {
      for (let n = 1; n <= 3; n++) await backupVersion(`${phase}-${n}`);
      // volumes written long ago: prune may recycle them (the grace window is the lock stale age)
      for (const v of readdirSync(join(path, 'volumes'))) utimesSync(join(path, 'volumes', v), 1e6, 1e6);
      await forgetKilledAt(phase);
      // where the kill landed, for the reader of the run
      const pool = await readPool(path, 32);
      t.diagnostic(
        `after the kill at ${phase}: ${(await listSnapshots(drive)).length} snapshots, ` +
          `index files ${readdirSync(join(path, 'index')).join(' ')}, pool ${pool.stored ? JSON.stringify(pool.pool) : 'none'}, ` +
          `stray temp files ${[...readdirSync(path), ...readdirSync(join(path, 'volumes'))].filter((n) => n.includes('.tmp-')).length}`,
      );

      const out = await retention(phase);
      const onDrive = (await listSnapshots(drive)).map((s) => s.id);
      assert.equal(onDrive.length, 1);
      assert.equal(seeds.get(onDrive[0]), `${phase}-3`);
      // the catalog agrees with the drive
      assert.deepEqual(await liveSnapshotIds(db, 'db', DRIVE), onDrive);
      assert.ok(out.catalogMarked >= 2, JSON.stringify(out));

      // nothing left to prune: no unused pack in the index, and no started volume that is neither
      // free nor holding a pack the index lists
      const left = await prune({ drive, password: PASSWORD, dryRun: true });
      assert.equal(left.packsDeleted, 0, `packs prune would still drop: ${JSON.stringify(left)}`);
      const index = await BlobIndex.load(drive);
      const used = new Set([...index.packs.values()].map((p) => p.pack.volume));
      const { free } = (await readPool(path, 32)).pool;
      const stuck = (await startedVolumes(path)).filter((v) => !free.includes(v) && !used.has(v));
      assert.deepEqual(stuck, [], `volumes neither free nor in use: ${stuck.join(', ')}`);
      assert.ok(free.length >= 2, `free volumes: ${free.join(', ')}`);

      const verify = spawnSync(process.execPath, [BATON_BIN, 'repo', 'verify', '--drive', path, '--read-data'], {
        env: { ...process.env, BATON_PASSWORD: PASSWORD },
        encoding: 'utf8',
      });
      assert.equal(verify.status, 0, verify.stdout + verify.stderr);

      const target = join(tmp.path, `restored-${phase}`);
      await restore({
        drive: await openDrive(path, { password: PASSWORD }),
        password: PASSWORD,
        snapshotId: onDrive[0],
        target,
      });
      assert.ok(readFileSync(join(target, 'data')).equals(prng(`${phase}-3`, 6 * MiB)));
    });
  }
});
