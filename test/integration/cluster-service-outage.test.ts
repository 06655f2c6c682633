/**
 * The coordinator outlives its cluster service: with the static map file renamed away on a running
 * local cluster, the coordinator keeps running on its last view, says "cluster service unreachable
 * since ..." in `baton status`, its current details and one catalog event, still backs apps up
 * where it last saw them, and recovers by itself when the file is back.
 */
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { clusterEvents } from '../../src/catalog/jobs';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { DEMO_APP, DEMO_APP_HOST } from '../../src/demo/demo-files';
import { coordinatorWorkflowId } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { baton } from '../helpers/cli';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

describe('the coordinator outlives its cluster service', { timeout: 300_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  const status = () => coordinatorStatus(c.client, c.config.cluster);
  const eventsOf = async (kind: string) =>
    (await clusterEvents(c.catalog, c.config.cluster, 100)).filter((e) => e.kind === kind);

  before(async () => {
    c = await startLocalCluster();
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    await waitFor('the coordinator’s first observation', async () => (await status()).host);
  });
  after(async () => c?.stop());

  test('a map file gone: last view kept, outage shown and recorded once, backups go on, recovery by itself', async () => {
    const map = c.files.mapFile;
    const away = `${map}.away`;
    renameSync(map, away);
    const lost = Date.now();
    const outage = await waitFor('the coordinator to notice', async () => (await status()).clusterUnreachable, 60_000);
    console.log(`outage noticed ${((Date.now() - lost) / 1000).toFixed(1)} s after the map went away`);
    assert.match(outage.error, /cluster map .* cannot be read/);
    await waitFor(
      'a second failed observation',
      async () => ((await status()).clusterUnreachable?.failures ?? 0) >= 2,
      60_000,
    );

    const s = await status();
    assert.equal(s.hosts[DEMO_APP], DEMO_APP_HOST, 'the last known view is kept');
    const handle = c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster));
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(
      metadata.currentDetails ?? '',
      /\*\*cluster service unreachable since \S+ \(\d+ failed observations?\): cluster map/,
    );
    const shown = baton(['status', '--config', c.files.configFile]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /^cluster service unreachable since \S+ \(\d+ failed observations?\): cluster map .*; app hosts below are the last known$/m,
    );
    const unreachable = await eventsOf('cluster-service-unreachable');
    assert.equal(unreachable.length, 1, 'one event per outage, not one per failed observation');
    assert.match(unreachable[0].message, /^cluster service unreachable since /);

    // Jobs go on where the apps were last seen.
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'outage-test');
    assert.equal(started.node, DEMO_APP_HOST);
    assert.equal((await followJob(c.client, started.jobId, () => undefined)).state, 'succeeded');

    renameSync(away, map);
    const back = Date.now();
    await waitFor('the coordinator to recover', async () => (await status()).clusterUnreachable === undefined, 90_000);
    console.log(`recovered ${((Date.now() - back) / 1000).toFixed(1)} s after the map came back`);
    // the coordinator clears the outage from its state, then records the event (an activity): a
    // status read between the two sees it recovered with the event not yet in the catalog
    const recovered = await waitFor(
      'the recovery recorded',
      async () => {
        const events = await eventsOf('cluster-service-recovered');
        return events.length > 0 && events;
      },
      30_000,
    );
    assert.equal(recovered.length, 1);
    assert.match(recovered[0].message, new RegExp(`unreachable since ${outage.since.replace(/[.]/g, '\\.')}`));
    assert.doesNotMatch(baton(['status', '--config', c.files.configFile]).stdout, /unreachable/);
  });
});
