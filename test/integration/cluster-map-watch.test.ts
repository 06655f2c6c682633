/**
 * The static cluster service's own alert: every node process watches the map file and signals the
 * coordinator when it changes (src/workers/cluster-map-watch.ts), so a move written to the map,
 * with no `baton cluster notify`, is seen long before the coordinator's next tick (a minute here).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { coordinatorStatus } from '../../src/client/coordinator-client';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { DEMO_APP } from '../../src/demo/demo-files';
import { waitFor } from '../../src/util/wait';
import { secondNodeSkip } from '../helpers/first-node';
import { replaceCoordinator, startLocalCluster, type LocalCluster } from '../helpers/local-cluster';

describe('cluster map watch', { timeout: 120_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  before(async () => {
    c = await startLocalCluster();
    await replaceCoordinator(c, { tickSeconds: 60 }, 'cluster-map-watch test: a coordinator that ticks once a minute');
    await waitFor('the coordinator’s first observation', async () => (await coordinatorStatus(c.client, 'demo')).host);
  });
  after(async () => c?.stop());

  test('a move written to the map alone wakes the coordinator well before its 60 s tick', async () => {
    for (const to of ['node-1', 'node-3']) {
      const before = (await coordinatorStatus(c.client, 'demo')).hosts[DEMO_APP];
      assert.notEqual(before, to);
      const map = readStaticMap(c.files.mapFile);
      map.apps[DEMO_APP] = to;
      writeStaticMap(c.files.mapFile, map);
      const written = Date.now();
      let host: string | null | undefined;
      while (Date.now() - written < 10_000) {
        host = (await coordinatorStatus(c.client, 'demo')).hosts[DEMO_APP];
        if (host === to) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      assert.equal(host, to, `the coordinator saw ${DEMO_APP} on ${to} within 10 s, not at its 60 s tick`);
      console.log(
        `map watch: coordinator saw the move to ${to} ${((Date.now() - written) / 1000).toFixed(2)} s after the write`,
      );
    }
  });
});
