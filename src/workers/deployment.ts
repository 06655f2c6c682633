/**
 * Temporal Worker Versioning for a node process (docs/upgrades.md): the deployment version its
 * workers run as, their worker options, and making a version the deployment's current one.
 * Jobs, restores, verifies and retention jobs are PINNED to the build they started on (the
 * workers' default); the coordinator is AUTO_UPGRADE (set in coordinator.ts), its changes patched.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { temporal } from '@temporalio/proto';
import type { WorkerOptions } from '@temporalio/worker';
import type { BatonConfig } from '../config/load';
import { UserError } from '../model/errors';
import { waitFor } from '../util/wait';
import { WORKFLOW_BUNDLE_PATH } from './workflow-bundle';

/**
 * Baton's version, read from package.json at run time (dist/src/workers -> the package root). An
 * import would copy package.json into dist/, and Node would then resolve the package's own name
 * (`import ... from 'baton'` in examples/) against that copy.
 */
function batonVersion(): string {
  const file = resolve(__dirname, '..', '..', '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

export interface DeploymentVersion {
  deploymentName: string;
  buildId: string;
}

/** The first 12 hex digits of the workflow bundle's SHA-256, or "source" when there is no bundle. */
export function bundleHash(path = WORKFLOW_BUNDLE_PATH): string {
  if (!existsSync(path)) return 'source';
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
}

/** temporal.deployment's name (default baton-<cluster>) and buildId (default <version>-<bundle hash>). */
export function deploymentVersion(config: BatonConfig, hash = bundleHash()): DeploymentVersion {
  const keys = config.temporal.deployment ?? {};
  return {
    deploymentName: keys.name ?? `baton-${config.cluster}`,
    buildId: keys.buildId ?? `${batonVersion()}-${hash}`,
  };
}

/** Worker options that make a worker poll as `version`, its workflows PINNED unless they say otherwise. */
export function versionedWorker(version: DeploymentVersion): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  return { workerDeploymentOptions: { version, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' } };
}

/** A client's or a worker's connection's workflow service. */
type Service = Pick<
  temporal.api.workflowservice.v1.WorkflowService,
  'describeWorkerDeployment' | 'setWorkerDeploymentCurrentVersion'
>;

/** The deployment's current build ID, or null when it has none (or does not exist yet). */
export async function currentBuildId(service: Service, namespace: string, name: string): Promise<string | null> {
  try {
    const { workerDeploymentInfo } = await service.describeWorkerDeployment({ namespace, deploymentName: name });
    return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? null;
  } catch (err) {
    if ((err as { code?: number }).code === 5) return null; // NOT_FOUND: no worker has polled yet
    throw err;
  }
}

/** temporal.api.enums.v1.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS */
const ROUTING_IN_PROGRESS = 1;

/**
 * Whether the server routes new work of the deployment to `buildId`: it is current, and the
 * server has finished passing that to the deployment's task queues (it answers the set first and
 * propagates after; work started meanwhile still goes to the old build).
 */
export async function routedTo(service: Service, namespace: string, version: DeploymentVersion): Promise<boolean> {
  const { workerDeploymentInfo: info } = await service.describeWorkerDeployment({
    namespace,
    deploymentName: version.deploymentName,
  });
  return (
    info?.routingConfig?.currentDeploymentVersion?.buildId === version.buildId &&
    Number(info.routingConfigUpdateState ?? 0) !== ROUTING_IN_PROGRESS
  );
}

/**
 * Makes `version` current, waiting (up to `timeoutMs`) for its workers' first polls to register it,
 * then for the server to route new work to it. A build ID no worker has polled with is refused
 * with the fix.
 */
export async function makeCurrent(
  service: Service,
  namespace: string,
  version: DeploymentVersion,
  identity: string,
  timeoutMs = 30_000,
): Promise<void> {
  let last = '';
  try {
    await waitFor(
      `build ${version.buildId} of deployment ${version.deploymentName}`,
      async () => {
        try {
          await service.setWorkerDeploymentCurrentVersion({ namespace, ...version, identity });
          return true;
        } catch (err) {
          last = err instanceof Error ? err.message : String(err);
          return false;
        }
      },
      timeoutMs,
      500,
    );
  } catch {
    throw new UserError(
      `cannot make build ${version.buildId} current in deployment ${version.deploymentName}: ${last}; ` +
        `start the nodes of that build first (baton node with temporal.deployment.buildId: ${version.buildId})`,
    );
  }
  try {
    await waitFor(`build ${version.buildId} routed to`, () => routedTo(service, namespace, version), timeoutMs, 200);
  } catch {
    throw new UserError(
      `build ${version.buildId} of deployment ${version.deploymentName} is current, but the server did not route ` +
        `new work to it within ${timeoutMs / 1000} s; check it with \`temporal worker deployment describe --name ${version.deploymentName}\``,
    );
  }
}

/**
 * On node start: a deployment with no current version (the cluster's first start) takes this
 * node's. A deployment that has one keeps it: a new build's nodes wait, inactive, until the
 * operator runs `baton upgrade --build-id <id>`. Returns the build ID current afterwards.
 */
export async function adoptIfNoneCurrent(
  service: Service,
  namespace: string,
  version: DeploymentVersion,
  identity: string,
): Promise<string> {
  const current = await currentBuildId(service, namespace, version.deploymentName);
  if (current !== null) return current;
  await makeCurrent(service, namespace, version, identity);
  return version.buildId;
}
