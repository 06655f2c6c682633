import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Drive } from '../../../src/engine/drive';
import { EngineError } from '../../../src/engine/errors';
import { unmountedMountPoint } from '../../../src/engine/mount-points';
import type { MountSources } from '../../../src/engine/mount-points';
import { PASSWORD } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

/** An fstab naming `points` as mount targets and a mountinfo listing `mounted` (with / always). */
function sources(dir: string, points: string[], mounted: string[]): MountSources {
  const fstab = join(dir, 'fstab');
  const mountinfo = join(dir, 'mountinfo');
  writeFileSync(
    fstab,
    [
      '# <file system> <mount point> <type> <options> <dump> <pass>',
      'UUID=1234 / ext4 errors=remount-ro 0 1',
      'UUID=5678 none swap sw 0 0',
      ...points.map((p) => `san:/export ${p.replace(/ /g, '\\040')} nfs defaults 0 0`),
    ].join('\n'),
  );
  writeFileSync(
    mountinfo,
    ['/', ...mounted]
      .map((m, i) => `${20 + i} 1 8:1 / ${m.replace(/ /g, '\\040')} rw,relatime shared:1 - ext4 /dev/sda1 rw`)
      .join('\n'),
  );
  return { fstab, mountinfo };
}

void test('a path under a mount point of fstab that is not mounted is found; mounted, elsewhere or without fstab it is not', async () => {
  const tmp = tempDir();
  try {
    const san = join(tmp.path, 'mnt', 'san one');
    const s = sources(tmp.path, [san], []);
    assert.equal(await unmountedMountPoint(san, s), san);
    assert.equal(await unmountedMountPoint(join(san, 'baton', 'drive'), s), san);
    assert.equal(await unmountedMountPoint(join(tmp.path, 'mnt', 'san one-other'), s), null);
    assert.equal(await unmountedMountPoint(join(san, 'd'), sources(tmp.path, [san], [san])), null);
    assert.equal(await unmountedMountPoint(san, { fstab: join(tmp.path, 'none'), mountinfo: s.mountinfo }), null);
    // the nearest mount point decides: a mounted one inside an unmounted one is not reached anyway
    const inner = join(san, 'inner');
    assert.equal(await unmountedMountPoint(join(inner, 'd'), sources(tmp.path, [san, inner], [inner])), null);
  } finally {
    tmp.cleanup();
  }
});

void test('init refuses a drive under an unmounted mount point, by any path, and writes nothing', async () => {
  const tmp = tempDir();
  try {
    const san = join(tmp.path, 'san');
    mkdirSync(san); // the empty mount point directory of storage that is not mounted
    const mounts = sources(tmp.path, [san], []);
    for (const existingDirectory of [false, true]) {
      for (const path of [san, join(san, 'drive')]) {
        await assert.rejects(
          Drive.open(path, {
            password: PASSWORD,
            create: { kind: 'directory', encryption: true, kdfN: 1024, mounts, existingDirectory },
          }),
          (err: EngineError) => {
            assert.equal(err.code, 'MISSING_DRIVE');
            assert.match(err.message, /a mount point in \/etc\/fstab that is not mounted: refusing to initialise/);
            assert.match(err.message, new RegExp(`Mount ${san}, then retry`));
            return true;
          },
        );
      }
    }
    assert.deepEqual(readdirSync(san), [], 'nothing was written');
    // once mounted (here: listed as mounted), it initialises
    const d = await Drive.open(san, {
      password: PASSWORD,
      create: { kind: 'directory', encryption: true, kdfN: 1024, mounts: sources(tmp.path, [san], [san]) },
    });
    assert.equal(d.path, san);
  } finally {
    tmp.cleanup();
  }
});

void test("a backup's own init (existingDirectory) needs an existing empty directory and creates no path", async () => {
  const tmp = tempDir();
  try {
    const create = { kind: 'directory' as const, encryption: true, kdfN: 1024, existingDirectory: true };
    const missing = join(tmp.path, 'missing', 'drive');
    await assert.rejects(
      Drive.open(missing, { password: PASSWORD, create }),
      /drive path .* does not exist \(or is not a directory\): a backup initialises a drive only in an existing empty directory/,
    );
    assert.equal(existsSync(join(tmp.path, 'missing')), false);
    const full = join(tmp.path, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'something'), 'x');
    await assert.rejects(Drive.open(full, { password: PASSWORD, create }), /holds files but no Baton drive/);
    assert.deepEqual(readdirSync(full), ['something']);
    const empty = join(tmp.path, 'empty');
    mkdirSync(empty);
    await Drive.open(empty, { password: PASSWORD, create });
    assert.ok(existsSync(join(empty, 'config')));
  } finally {
    tmp.cleanup();
  }
});
