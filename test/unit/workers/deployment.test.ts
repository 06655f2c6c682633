import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BatonConfig } from '../../../src/config/load';
import { bundleHash, deploymentVersion, routedTo, versionedWorker } from '../../../src/workers/deployment';
import { tempDir } from '../../helpers/temp';

const config = (deployment?: { name?: string; buildId?: string }) =>
  ({ cluster: 'prod', temporal: { address: 'x:1', namespace: 'default', tls: null, deployment } }) as BatonConfig;

test('the deployment is baton-<cluster> and the build ID the version and bundle hash, unless the config names them', () => {
  assert.deepEqual(deploymentVersion(config(), 'abc'), { deploymentName: 'baton-prod', buildId: '0.1.0-abc' });
  assert.deepEqual(deploymentVersion(config({ name: 'd', buildId: 'b2' }), 'abc'), {
    deploymentName: 'd',
    buildId: 'b2',
  });
});

test('the bundle hash changes with the bundle, and says "source" when there is none', () => {
  const file = join(tempDir('baton-deployment-').path, 'bundle.js');
  assert.equal(bundleHash(file), 'source');
  writeFileSync(file, 'a');
  const a = bundleHash(file);
  writeFileSync(file, 'b');
  assert.match(a, /^[0-9a-f]{12}$/);
  assert.notEqual(bundleHash(file), a);
});

test('workers poll with versioning on, their workflows pinned by default', () => {
  const version = { deploymentName: 'baton-prod', buildId: 'b1' };
  assert.deepEqual(versionedWorker(version).workerDeploymentOptions, {
    version,
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'PINNED',
  });
});

test('a build is routed to once it is current and the server no longer propagates the change', async () => {
  const version = { deploymentName: 'baton-demo', buildId: 'b2' };
  const service = (buildId: string, routingConfigUpdateState: number) => ({
    describeWorkerDeployment: () =>
      Promise.resolve({
        workerDeploymentInfo: { routingConfig: { currentDeploymentVersion: { buildId } }, routingConfigUpdateState },
      }),
    setWorkerDeploymentCurrentVersion: () => Promise.resolve({}),
  });
  const asIf = (s: ReturnType<typeof service>) => s as unknown as Parameters<typeof routedTo>[0];
  assert.equal(await routedTo(asIf(service('b1', 2)), 'default', version), false, 'another build is current');
  assert.equal(await routedTo(asIf(service('b2', 1)), 'default', version), false, 'still propagating');
  assert.equal(await routedTo(asIf(service('b2', 2)), 'default', version), true);
  assert.equal(await routedTo(asIf(service('b2', 0)), 'default', version), true, 'a server that does not say');
});
