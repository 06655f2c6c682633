/**
 * Memory per file: a backup of many tiny files must not grow the main thread's heap with every
 * file (the blob index lives in typed arrays, packs being filled hold no objects per blob). The
 * benchmark for a million files is bench/engine/many.ts; this is the small version CI can afford.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { backup } from '../../../src/engine/archiver';
import { createDrive } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const FILES = 50_000;
/** Before the compact index this was about 280 bytes per file here; now it is about 0. */
const MAX_HEAP_BYTES_PER_FILE = 120;

void test(`the main thread's heap does not grow with each of ${FILES} tiny files backed up`, async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    for (let i = 0; i < FILES; i++) {
      const dir = `${src}/d${String(Math.floor(i / 1000)).padStart(2, '0')}`;
      if (i % 1000 === 0) mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/f${i}`, `file ${i}\n`.repeat(1 + (i % 50)));
    }
    const drive = await createDrive(`${tmp.path}/drive`);
    const heap = new Map<number, number>();
    const from = 10_000;
    const r = await backup({
      drive,
      sources: src,
      cachePath: null,
      progress: {
        // live heap (after a full collection) when the backup has stored `from` files, and at the last
        update: (p) => {
          if ((p.files === from || p.files === FILES) && !heap.has(p.files)) {
            gc();
            heap.set(p.files, getHeapStatistics().used_heap_size);
          }
        },
      },
    });
    assert.equal(r.stats.files, FILES);
    const perFile = ((heap.get(FILES) ?? NaN) - (heap.get(from) ?? NaN)) / (FILES - from);
    assert.ok(
      perFile < MAX_HEAP_BYTES_PER_FILE,
      `live heap grew ${perFile.toFixed(0)} bytes per file (bound ${MAX_HEAP_BYTES_PER_FILE})`,
    );
  } finally {
    tmp.cleanup();
  }
});
