/**
 * Drive locks: restore and verify hold the drive's shared lock while they run, so prune
 * (exclusive) refuses to start under them; their locks go stale like any other; a tape takes one
 * backup at a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { verify } from '../../../src/engine/checker';
import { forget, prune } from '../../../src/engine/pruner';
import { LockedError } from '../../../src/engine/errors';
import { Lock, type LockFile } from '../../../src/engine/lock';
import type { PackStore } from '../../../src/engine/drive-store';
import { createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

/**
 * Holds the first call of `method` on the drive's pack store until `open()`: the reader is then
 * provably running (its lock taken, its packs not yet read). Later calls (a prune's) go through.
 */
function gate(
  packs: PackStore,
  method: 'readPack' | 'packSize',
): { entered: Promise<void>; open: () => void; restore: () => void } {
  const slot = packs as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const original = slot[method];
  let entered!: () => void;
  let open!: () => void;
  const enteredP = new Promise<void>((r) => (entered = r));
  const openP = new Promise<void>((r) => (open = r));
  let first = true;
  const wrapped = async (...args: unknown[]): Promise<unknown> => {
    if (first) {
      first = false;
      entered();
      await openP;
    }
    return original.apply(packs, args);
  };
  slot[method] = wrapped;
  return { entered: enteredP, open, restore: () => (slot[method] = original) };
}

const lockedBy = (purpose: string) => (err: unknown) =>
  err instanceof LockedError &&
  new RegExp(`is locked by ${purpose} \\(shared\\) on .* pid ${process.pid} .*prune did not start`).test(err.message);

void test('a running restore or verify holds a shared lock: prune and forget refuse to start', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    for (let i = 0; i < 5; i++) writeFileSync(`${src}/f${i}`, prng(`f${i}`, 300_000));
    const drive = await createDrive(`${tmp.path}/d`);
    const r = await backup({ drive, sources: src, cachePath: null });

    const g = gate(drive.packs, 'readPack');
    const restoring = restore({ drive, snapshotId: r.snapshotId, target: `${tmp.path}/out` });
    await g.entered;
    await assert.rejects(prune({ drive }), lockedBy('restore'));
    await assert.rejects(forget({ drive, policy: { last: 1 } }), /is locked by restore \(shared\)/);
    // readers share: a verify runs beside the restore
    g.restore();
    const v = await verify({ drive });
    assert.equal(v.ok, true, JSON.stringify(v.errors));
    g.open();
    await restoring;
    assert.deepEqual(compareTrees(src, `${tmp.path}/out`), []);
    assert.deepEqual(readdirSync(`${tmp.path}/d/locks`), [], 'restore and verify released their locks');

    const gv = gate(drive.packs, 'packSize');
    const verifying = verify({ drive, readData: true });
    await gv.entered;
    await assert.rejects(prune({ drive }), lockedBy('verify'));
    gv.open();
    assert.equal((await verifying).ok, true);
    gv.restore();
    assert.deepEqual(readdirSync(`${tmp.path}/d/locks`), []);

    // once they are done, prune runs
    await prune({ drive });
  } finally {
    tmp.cleanup();
  }
});

void test('a restore or verify lock left behind goes stale as any lock does', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    writeFileSync(`${src}/f`, 'x');
    const drive = await createDrive(`${tmp.path}/d`);
    await backup({ drive, sources: src, cachePath: null });
    const now = new Date().toISOString();
    const lock = (over: Partial<LockFile>): Buffer =>
      Buffer.from(
        JSON.stringify({
          version: 1,
          exclusive: false,
          hostname: hostname(),
          pid: process.pid,
          time: now,
          refreshed: now,
          purpose: 'restore',
          ...over,
        }),
      );
    // a process of this host that is gone
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await drive.writeFile('locks', 'dead', lock({ pid: Number(dead.stdout) }));
    // another host's, not refreshed for 31 minutes
    const old = new Date(Date.now() - 31 * 60 * 1000).toISOString();
    await drive.writeFile(
      'locks',
      'old',
      lock({ hostname: 'elsewhere', purpose: 'verify', time: old, refreshed: old }),
    );
    // old by the drive's clock too (the file's mtime): a lock is not judged by its holder's clock alone
    utimesSync(`${tmp.path}/d/locks/old`, new Date(old), new Date(old));
    await prune({ drive });
    assert.deepEqual(readdirSync(`${tmp.path}/d/locks`), [], 'prune ran and removed the stale locks');

    // another host's fresh one still blocks
    await drive.writeFile('locks', 'fresh', lock({ hostname: 'elsewhere', purpose: 'verify' }));
    await assert.rejects(prune({ drive }), /is locked by verify \(shared\) on elsewhere/);
  } finally {
    tmp.cleanup();
  }
});

void test('locks: stale ones (dead process) are ignored; a tape takes one backup at a time', async () => {
  const tmp = tempDir();
  try {
    const drive = await createDrive(`${tmp.path}/d`);
    const dead = {
      version: 1,
      exclusive: true,
      hostname: hostname(),
      pid: 2 ** 22 + 12345,
      time: new Date().toISOString(),
      refreshed: new Date().toISOString(),
      purpose: 'prune',
    };
    await drive.writeFile('locks', 'dead', Buffer.from(JSON.stringify(dead)));
    const l = await Lock.acquire(drive, false, 'backup');
    await l.release();
    const tape = await createDrive(`${tmp.path}/t`, { kind: 'tape', volumeSize: 10 * 1024 * 1024 });
    mkdirSync(`${tmp.path}/src`);
    writeFileSync(`${tmp.path}/src/f`, 'x');
    const held = await Lock.acquire(tape, true, 'backup');
    await assert.rejects(backup({ drive: tape, sources: `${tmp.path}/src`, cachePath: null }), /is locked by backup/);
    await held.release();
  } finally {
    tmp.cleanup();
  }
});
