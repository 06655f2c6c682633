import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeStaticMap } from '../../../src/cluster/static';
import { watchMapFile } from '../../../src/workers/cluster-map-watch';
import { tempDir } from '../../helpers/temp';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `calls()` is at least `n`, at most `ms`. */
async function until(calls: () => number, n: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (calls() < n && Date.now() < deadline) await sleep(10);
}

void test('a map replaced by rename is heard within a few polls; an untouched map is not; after the stop, nothing', async () => {
  const tmp = tempDir();
  try {
    const file = join(tmp.path, 'cluster-map.json');
    writeStaticMap(file, { nodes: { 'node-1': 'online', 'node-2': 'online' }, apps: { db: 'node-1' } });
    let calls = 0;
    const stop = watchMapFile(file, () => calls++, 20);
    await sleep(200);
    assert.equal(calls, 0, 'nothing changed');

    const moved = Date.now();
    writeStaticMap(file, { nodes: { 'node-1': 'online', 'node-2': 'online' }, apps: { db: 'node-2' } });
    await until(() => calls, 1, 2000);
    assert.equal(calls, 1, 'the move was heard once');
    assert.ok(Date.now() - moved < 1000, `heard ${Date.now() - moved} ms after the move`);

    stop();
    writeStaticMap(file, { nodes: { 'node-1': 'online', 'node-2': 'offline' }, apps: { db: 'node-1' } });
    await sleep(200);
    assert.equal(calls, 1, 'a stopped watch hears nothing');
  } finally {
    tmp.cleanup();
  }
});
