import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeStaticMap } from '../../../src/cluster/static';
import type { Client } from '@temporalio/client';
import pino from 'pino';
import type { BatonConfig } from '../../../src/config/load';
import { coordinatorWorkflowId } from '../../../src/model/names';
import { notifyCoordinatorOnMapChange, watchMapFile } from '../../../src/workers/cluster-map-watch';
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

void test('a static service signals the coordinator on a change of its map, unless its watch is off', async () => {
  const tmp = tempDir();
  const stops: (() => void)[] = [];
  try {
    const mapFile = join(tmp.path, 'cluster-map.json');
    writeStaticMap(mapFile, { nodes: { 'node-1': 'online' }, apps: { db: 'node-1' } });
    const signals: { workflowId: string; args: unknown[] }[] = [];
    const client = {
      workflow: {
        getHandle: (workflowId: string) => ({
          signal: (_signal: unknown, ...args: unknown[]) => {
            signals.push({ workflowId, args });
            return Promise.resolve();
          },
        }),
      },
    } as unknown as Client;
    const config = (watch: boolean) =>
      ({ cluster: 'c1', clusterService: { kind: 'static', mapFile, watch } }) as unknown as BatonConfig;
    const logger = pino({ level: 'silent' });

    assert.equal(notifyCoordinatorOnMapChange(config(false), 'node-1', client, logger), null);
    const stop = notifyCoordinatorOnMapChange(config(true), 'node-2', client, logger);
    assert.ok(stop);
    stops.push(stop);
    await sleep(300); // fs.watchFile reads its first stat
    writeStaticMap(mapFile, { nodes: { 'node-1': 'online' }, apps: { db: 'node-2' } });
    await until(() => signals.length, 1, 2000);
    assert.deepEqual(signals, [
      { workflowId: coordinatorWorkflowId('c1'), args: [{ source: 'static-map@node-2', kind: 'map-changed' }] },
    ]);
  } finally {
    for (const stop of stops) stop();
    tmp.cleanup();
  }
});
