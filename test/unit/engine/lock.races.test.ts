/**
 * Locks raced by real processes (`baton repo` children, real signals): a backup paused past the
 * stale age loses its lock to prune and stops without a snapshot; a prune running longer than the
 * stale age keeps backups and other prunes out; a killed backup's lock is taken over at once.
 * Each ends in a clean verify and a byte-identical restore. Stale ages of 1-2 s through
 * BATON_LOCK_STALE_SECONDS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { verify } from '../../../src/engine/checker';
import { forget, prune } from '../../../src/engine/pruner';
import { Drive } from '../../../src/engine/drive';
import { listSnapshots } from '../../../src/engine/snapshot';
import { PASSWORD, createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';
import { catalog, packFiles, runRepo, sleep, startRepo, until } from '../../helpers/lock-races';

const MiB = 1024 * 1024;

function bigSource(dir: string, files: number, size: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `f${i}`), prng(`${dir}-${i}`, size));
}

/** A verify that reads all data finds no error, and the newest snapshot restores as `src` is. */
async function assertCleanAndRestores(path: string, src: string, out: string): Promise<void> {
  const drive = await Drive.open(path, { password: PASSWORD });
  const v = await verify({ drive, readData: true });
  assert.equal(v.ok, true, JSON.stringify(v.errors));
  const snaps = await listSnapshots(drive);
  const newest = snaps.sort((a, b) => a.snapshot.time.localeCompare(b.snapshot.time)).at(-1);
  assert.ok(newest);
  await restore({ drive, snapshotId: newest.id, target: out });
  assert.deepEqual(compareTrees(src, out), []);
}

void test('a backup paused (SIGSTOP) past the stale age loses its lock to prune and stops at SIGCONT without a snapshot', async () => {
  const tmp = tempDir();
  try {
    const d = `${tmp.path}/d`;
    const drive = await createDrive(d, { packSize: MiB });
    writeFileSync(`${tmp.path}/base`, 'kept');
    mkdirSync(`${tmp.path}/basesrc`);
    writeFileSync(`${tmp.path}/basesrc/f`, prng('base', 3 * MiB));
    await backup({ drive, sources: `${tmp.path}/basesrc`, cachePath: null });
    const src = `${tmp.path}/src`;
    bigSource(src, 4, 8 * MiB);
    const indexBefore = catalog(d, 'index').length;
    const args = [
      'backup',
      '--drive',
      d,
      '--no-cache',
      '--checkpoint-seconds',
      '1',
      '--bandwidth-limit',
      String(4 * MiB),
    ];
    const b = startRepo([...args, '--checkpoint-file', `${tmp.path}/cp.json`, src], 2);
    await until('the backup to checkpoint some packs', () => catalog(d, 'index').length >= indexBefore + 2);
    b.child.kill('SIGSTOP');

    // paused but younger than its stale age (and alive): it holds the drive
    const early = await runRepo(['prune', '--drive', d], 2);
    assert.notEqual(early.code, 0);
    assert.match(early.stderr, /is locked by backup \(shared\) on .* pid \d+/);

    await sleep(3500); // past the 2 s stale age, by its time and the file's mtime alike
    const packsBefore = packFiles(d).length;
    const pr = await runRepo(['prune', '--drive', d], 2);
    assert.equal(pr.code, 0, pr.stderr);
    const deleted = Number(/(\d+) packs deleted/.exec(pr.stdout)?.[1]);
    assert.ok(deleted > 0, `prune deleted the paused backup's packs: ${pr.stdout}`);
    assert.ok(packFiles(d).length < packsBefore);
    assert.deepEqual(catalog(d, 'locks'), [], "the paused backup's stale lock was taken over");

    b.child.kill('SIGCONT');
    const r = await b.done;
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(
      r.stderr,
      // removed while it was paused, or (paused mid-refresh) gone stale as it put it back
      /the backup lock on drive .* (was removed by another process|went stale while this process refreshed it .*); backup stopped without committing/,
    );
    assert.equal((await listSnapshots(drive)).length, 1, 'no snapshot of the stopped backup');
    const v = await verify({ drive, readData: true });
    assert.equal(v.ok, true, `no index or snapshot names a deleted pack: ${JSON.stringify(v.errors)}`);

    // the job layer's retry: a fresh backup completes, verifies and restores byte for byte
    const again = await runRepo([...args.slice(0, -2), src], 2);
    assert.equal(again.code, 0, again.stderr);
    await assertCleanAndRestores(d, src, `${tmp.path}/out`);
  } finally {
    tmp.cleanup();
  }
});

/** Holds the first `listPacks` of a drive's store until `open()`; resolves `entered` when reached. */
function holdListPacks(drive: Drive): { entered: Promise<void>; open: () => void } {
  const real = drive.packs.listPacks.bind(drive.packs);
  let entered!: () => void;
  let open!: () => void;
  const enteredP = new Promise<void>((r) => (entered = r));
  const openP = new Promise<void>((r) => (open = r));
  drive.packs.listPacks = async () => {
    drive.packs.listPacks = real;
    entered();
    await openP;
    return real();
  };
  return { entered: enteredP, open };
}

void test('a prune running three times its stale age keeps its lock fresh: backups and other prunes stay out', async () => {
  const tmp = tempDir();
  const env = process.env.BATON_LOCK_STALE_SECONDS;
  process.env.BATON_LOCK_STALE_SECONDS = '1';
  try {
    const d = `${tmp.path}/d`;
    const drive = await createDrive(d, { packSize: MiB });
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    for (let i = 0; i < 3; i++) {
      writeFileSync(`${src}/f`, prng(`gen${i}`, 3 * MiB));
      await backup({ drive, sources: src, cachePath: null });
    }
    await forget({ drive, policy: { last: 1 } });
    const hold = holdListPacks(drive);
    const pruning = prune({ drive });
    await hold.entered;
    const [lockName] = catalog(d, 'locks');
    const first = readFileSync(join(d, 'locks', lockName), 'utf8');
    await sleep(3000);
    assert.notEqual(readFileSync(join(d, 'locks', lockName), 'utf8'), first, 'prune refreshed its lock meanwhile');

    writeFileSync(`${src}/g`, 'new');
    // One after the other: run together, either may see the other's passing lock and name it.
    const b = await runRepo(['backup', '--drive', d, '--no-cache', src], 1);
    const p = await runRepo(['prune', '--drive', d], 1);
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /is locked by prune \(exclusive\) on .* pid \d+ .*backup did not start/);
    assert.notEqual(p.code, 0);
    assert.match(p.stderr, /is locked by prune \(exclusive\) on .* pid \d+ .*prune did not start/);
    hold.open();
    const res = await pruning;
    assert.ok(res.packsDeleted > 0, JSON.stringify(res));
    assert.deepEqual(catalog(d, 'locks'), []);

    const after = await runRepo(['backup', '--drive', d, '--no-cache', src], 1);
    assert.equal(after.code, 0, after.stderr);
    await assertCleanAndRestores(d, src, `${tmp.path}/out`);
  } finally {
    if (env === undefined) delete process.env.BATON_LOCK_STALE_SECONDS;
    else process.env.BATON_LOCK_STALE_SECONDS = env;
    tmp.cleanup();
  }
});

void test('two prunes started at once: each finishes or is refused by the other; the drive stays clean', async () => {
  const tmp = tempDir();
  try {
    const d = `${tmp.path}/d`;
    const drive = await createDrive(d, { packSize: MiB });
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    for (let round = 0; round < 3; round++) {
      writeFileSync(`${src}/f`, prng(`round${round}`, 2 * MiB));
      await backup({ drive, sources: src, cachePath: null });
      await backup({ drive, sources: src, cachePath: null });
      await forget({ drive, policy: { last: 1 } });
      const both = await Promise.all([runRepo(['prune', '--drive', d], 2), runRepo(['prune', '--drive', d], 2)]);
      for (const r of both) {
        if (r.code !== 0)
          assert.match(r.stderr, /is locked by prune \(exclusive\)|appeared on drive .* while prune ran/);
      }
      assert.deepEqual(catalog(d, 'locks'), []);
      const v = await verify({ drive, readData: true });
      assert.equal(v.ok, true, JSON.stringify(v.errors));
    }
    await assertCleanAndRestores(d, src, `${tmp.path}/out`);
  } finally {
    tmp.cleanup();
  }
});

void test("a killed backup's lock (its PID gone on this host) is taken over at once, whatever the stale age", async () => {
  const tmp = tempDir();
  try {
    const d = `${tmp.path}/d`;
    await createDrive(d, { packSize: MiB });
    const src = `${tmp.path}/src`;
    bigSource(src, 2, 8 * MiB);
    const b = startRepo(['backup', '--drive', d, '--no-cache', '--bandwidth-limit', String(4 * MiB), src], 1800);
    await until('the backup to write packs', () => packFiles(d).length >= 2);
    b.child.kill('SIGKILL');
    await b.done;
    assert.equal(catalog(d, 'locks').length, 1, 'the killed backup left its lock');
    const pr = await runRepo(['prune', '--drive', d], 1800);
    assert.equal(pr.code, 0, pr.stderr);
    assert.deepEqual(catalog(d, 'locks'), []);
    const again = await runRepo(['backup', '--drive', d, '--no-cache', src], 1800);
    assert.equal(again.code, 0, again.stderr);
    await assertCleanAndRestores(d, src, `${tmp.path}/out`);
  } finally {
    tmp.cleanup();
  }
});
