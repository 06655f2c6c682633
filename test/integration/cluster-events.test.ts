/**
 * Cluster events: a Pacemaker alert (or any hook) runs `baton cluster notify`, and the coordinator
 * looks at the cluster at once instead of at its next tick (a minute here). The nodes' own watch
 * of the map is off here (`watch: false`), so the notify is what made it look.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { coordinatorStatus } from '../../src/client/coordinator-client';
import { coordinatorWorkflowId } from '../../src/model/names';
import { clusterChangedSignal } from '../../src/workflows/messages';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { DEMO_APP } from '../../src/demo/demo-files';
import { waitFor } from '../../src/util/wait';
import { baton } from '../helpers/cli';
import { replaceCoordinator, startLocalCluster, type LocalCluster } from '../helpers/local-cluster';

/** The sources of the clusterChanged signals in the coordinator's current run, in order. */
async function clusterChangedSources(c: LocalCluster): Promise<unknown[]> {
  const { events } = await c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster)).fetchHistory();
  return (events ?? []).flatMap((e) => {
    const s = e.workflowExecutionSignaledEventAttributes;
    const payload = s?.input?.payloads?.[0];
    if (s?.signalName !== clusterChangedSignal.name || !payload) return [];
    return [defaultPayloadConverter.fromPayload<{ source?: unknown }>(payload).source];
  });
}

describe('cluster events', { timeout: 120_000 }, () => {
  let c: LocalCluster;
  before(async () => {
    c = await startLocalCluster({
      editConfig: (yaml) =>
        yaml.replace('  mapFile: cluster-map.json\n', '  mapFile: cluster-map.json\n  watch: false\n'),
    });
    await replaceCoordinator(c, { tickSeconds: 60 }, 'cluster-events test: a coordinator that ticks once a minute');
    await waitFor('the coordinator’s first observation', async () => (await coordinatorStatus(c.client, 'demo')).host);
  });
  after(async () => c?.stop());

  test('baton cluster notify makes the coordinator look now', async () => {
    assert.equal((await coordinatorStatus(c.client, 'demo')).hosts[DEMO_APP], 'node-2');
    const map = readStaticMap(c.files.mapFile);
    map.apps[DEMO_APP] = 'node-1';
    writeStaticMap(c.files.mapFile, map);
    const event = JSON.stringify({
      source: 'pacemaker',
      kind: 'resource',
      node: 'node-1',
      rsc: DEMO_APP,
      task: 'start',
    });
    const r = baton(['cluster', 'notify', '--config', c.files.configFile], { input: event });
    assert.equal(r.code, 0, r.stderr);
    const sent = Date.now();
    let host: string | null | undefined;
    while (Date.now() - sent < 10_000) {
      host = (await coordinatorStatus(c.client, 'demo')).hosts[DEMO_APP];
      if (host === 'node-1') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(host, 'node-1', 'seen well before the 60 s tick');
    assert.deepEqual(await clusterChangedSources(c), ['pacemaker'], 'the notify’s signal, and no map watch’s');
    console.log(
      `cluster notify: coordinator saw the move ${((Date.now() - sent) / 1000).toFixed(1)} s after the event`,
    );
  });

  test('a malformed event is refused in one line and nothing is sent', () => {
    const r = baton(['cluster', 'notify', '--config', c.files.configFile], { input: 'not json' });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'baton: the event on stdin is not JSON; send one JSON object, or nothing');
  });

  test('baton cluster move refuses an unknown app or node, and changes nothing', () => {
    const before = JSON.stringify(readStaticMap(c.files.mapFile));
    for (const [args, message] of [
      [['nope', 'node-1'], /^baton: unknown app "nope"; apps in .*: sample-db, drill-db$/],
      [[DEMO_APP, 'node-9'], /^baton: unknown node "node-9"; nodes in .*: node-1, node-2, node-3$/],
    ] as const) {
      const r = baton(['cluster', 'move', ...args, '--config', c.files.configFile]);
      assert.equal(r.code, 1);
      assert.match(r.stderr.trim(), message);
    }
    assert.equal(JSON.stringify(readStaticMap(c.files.mapFile)), before);
  });
});
