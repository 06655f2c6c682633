import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BatonConfig } from '../../../src/config/load';
import { bundleHash, deploymentVersion, versionedWorker } from '../../../src/workers/deployment';

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
  const dir = mkdtempSync(join(tmpdir(), 'baton-deployment-'));
  const file = join(dir, 'bundle.js');
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
