import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { backup, resume } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { readSnapshot } from '../../../src/engine/snapshot';
import type { Checkpoint } from '../../../src/engine/checkpoint';
import type { Drive } from '../../../src/engine/drive';
import { buildAwkwardTree, createDrive, PASSWORD } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

void test('resuming from EACH checkpoint, on the same or another drive, gives the uninterrupted tree', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    buildAwkwardTree(src, { bigFile: 5 * 1024 * 1024 + 12345 });
    const a = await createDrive(`${tmp.path}/a`);
    const cps: Checkpoint[] = [];
    const full = await backup({
      drive: a,
      sources: src,
      cachePath: null,
      segmentSize: 1024 * 1024,
      checkpointEvery: { seconds: 3600, bytes: 1 },
      onCheckpoint: (cp) => void cps.push(cp),
    });
    const fullTree = (await readSnapshot(a, full.snapshotId)).tree;
    assert.ok(cps.length > 30, `only ${cps.length} checkpoints`);
    assert.ok(
      cps.some((c) => c.partial),
      'some checkpoints fall in the middle of a file',
    );
    assert.deepEqual(
      cps.map((c) => c.seq),
      cps.map((_, i) => i + 1),
    );

    let other: Drive | null = null;
    for (const [i, cp] of cps.entries()) {
      // every third resume goes to a second drive B, the others to A
      const onB = i % 3 === 0;
      if (onB && !other) other = await createDrive(`${tmp.path}/b`);
      const target: Drive = onB ? (other as Drive) : a;
      const r = await backup({ drive: target, resumeFrom: cp, sources: [], cachePath: null, password: PASSWORD });
      const snap = await readSnapshot(target, r.snapshotId);
      assert.equal(snap.tree, fullTree, `resume from checkpoint ${cp.seq} (${onB ? 'drive B' : 'drive A'})`);
      assert.equal(snap.stats.files, full.stats.files);
      if (onB) assert.deepEqual(snap.drives.map((d) => d.id).sort(), [a.id, target.id].sort());
      if (i === cps.length - 1 || (onB && i > 0 && i % 12 === 0)) {
        const out = `${tmp.path}/out-${i}`;
        await restore({ drive: target, snapshotId: r.snapshotId, target: out, password: PASSWORD });
        assert.deepEqual(compareTrees(src, out), [], `restore after resume from checkpoint ${cp.seq}`);
      }
    }
  } finally {
    tmp.cleanup();
  }
});

void test('checkpoints of a wide directory stay small (partial tree blobs) and resume on another drive', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(`${src}/wide`, { recursive: true });
    for (let i = 0; i < 300; i++)
      writeFileSync(`${src}/wide/entry-with-a-longish-name-${String(i).padStart(4, '0')}`, `${i}`);
    const a = await createDrive(`${tmp.path}/a`);
    const cps: Checkpoint[] = [];
    const full = await backup({
      drive: a,
      sources: src,
      cachePath: null,
      checkpointEvery: { seconds: 3600, bytes: 1 },
      onCheckpoint: (cp) => void cps.push(cp),
    });
    const fullTree = (await readSnapshot(a, full.snapshotId)).tree;
    // the walk state stays small; only the list of used packs grows (one per pack)
    const sizes = cps.map((c) => JSON.stringify(c.frames).length);
    assert.ok(Math.max(...sizes) < 16_000, `largest checkpoint walk state ${Math.max(...sizes)} bytes`);
    assert.ok(cps.some((c) => c.frames.some((f) => f.nodesTree !== undefined)));
    const b = await createDrive(`${tmp.path}/b`);
    for (const cp of cps.filter((_, i) => i % 25 === 7)) {
      const r = await resume(cp, { drive: b, cachePath: null, otherDrives: [a] });
      assert.equal((await readSnapshot(b, r.snapshotId)).tree, fullTree, `resume from checkpoint ${cp.seq}`);
    }
  } finally {
    tmp.cleanup();
  }
});
