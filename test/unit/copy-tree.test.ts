/**
 * The interim copy data path: resuming from any checkpoint, on another drive, commits a manifest
 * that restores the same tree; a fenced writer stops; restores cannot escape their target.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyTree, restoreManifest, walk, type CopyCheckpoint } from '../../src/activities/copy-tree';
import { treeDigest } from '../helpers/tree';

function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'baton-copy-src-'));
  const app = join(root, 'app');
  for (let i = 0; i < 12; i++) {
    mkdirSync(join(app, `dir-${i % 3}`), { recursive: true });
    writeFileSync(join(app, `dir-${i % 3}`, `f-${i}.bin`), Buffer.alloc(1000 + i * 37, i));
  }
  mkdirSync(join(app, 'empty'));
  writeFileSync(join(app, 'zero'), '');
  symlinkSync('dir-0/f-0.bin', join(app, 'link'));
  return app;
}

test('resuming from every checkpoint, on another drive, restores the same tree', async () => {
  const app = fixture();
  const drives = mkdtempSync(join(tmpdir(), 'baton-copy-drv-'));
  const checkpoints: CopyCheckpoint[] = [];
  await copyTree({
    sources: [app],
    root: join(drives, 'a', 'job', 'attempt-1'),
    manifestDir: join(drives, 'a', 'job'),
    checkpointEvery: { ms: 0, bytes: 0 },
    onCheckpoint: (cp) => {
      checkpoints.push(cp);
      return Promise.resolve();
    },
  });
  assert.equal(checkpoints.length, 13, 'one checkpoint per file');
  for (let i = 1; i < checkpoints.length; i++) assert.ok(checkpoints[i].cursor > checkpoints[i - 1].cursor);

  for (const [k, cp] of checkpoints.entries()) {
    const dir = join(drives, `b-${k}`, 'job');
    const result = await copyTree({ sources: [app], root: join(dir, 'attempt-2'), manifestDir: dir, resumeFrom: cp });
    const target = mkdtempSync(join(tmpdir(), 'baton-copy-restore-'));
    const restored = await restoreManifest(result.manifest, target);
    assert.equal(restored.files, 13);
    assert.deepEqual(treeDigest(join(target, '0-app')), treeDigest(app), `resume from checkpoint ${k}`);
    assert.equal(result.files, 13, 'no file counted twice');
  }
});

test('a fenced writer stops before its next write and commits nothing', async () => {
  const app = fixture();
  const dir = join(mkdtempSync(join(tmpdir(), 'baton-copy-fence-')), 'job');
  let writes = 0;
  await assert.rejects(
    copyTree({
      sources: [app],
      root: join(dir, 'attempt-1'),
      manifestDir: dir,
      beforeWrite: () => {
        if (++writes > 5) return Promise.reject(new Error('fenced'));
        return Promise.resolve();
      },
    }),
    /fenced/,
  );
  assert.throws(() => readFileSync(join(dir, 'manifest.json')), /ENOENT/);
});

test('a manifest entry that would escape the restore target is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-copy-escape-'));
  for (const path of ['../outside', '/etc/passwd', '0-app/../../x']) {
    const manifest = join(dir, 'manifest.json');
    writeFileSync(
      manifest,
      JSON.stringify({ format: 'baton-copy-manifest-v0', entries: [{ path, kind: 'file', size: 1, root: dir }] }),
    );
    await assert.rejects(restoreManifest(manifest, join(dir, 'target')), /would be restored outside .*; refusing/);
  }
});

test('walk order is deterministic: sources in order, names sorted, parents first', async () => {
  const app = fixture();
  const paths = (await walk([app])).map((e) => e.path);
  assert.equal(paths[0], '0-app');
  assert.ok(paths.indexOf('0-app/dir-0') < paths.indexOf('0-app/dir-0/f-0.bin'));
  assert.deepEqual(paths, [...(await walk([app])).map((e) => e.path)]);
});
