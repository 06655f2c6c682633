/**
 * `baton upgrade --build-id <id>`: makes a build current in the cluster's Worker Versioning
 * deployment (docs/upgrades.md). New jobs and the coordinator run on it from then on; jobs
 * started on the previous build finish there.
 */
import { Command } from 'commander';
import { hostname } from 'node:os';
import { connect } from '../client/connect';
import { loadConfig } from '../config/load';
import { currentBuildId, deploymentVersion, makeCurrent } from '../workers/deployment';

export function upgradeCommand(): Command {
  return new Command('upgrade')
    .description('make a build of the node processes current: new work runs on it, running jobs finish where they are')
    .requiredOption('--build-id <id>', "the build's ID (temporal.deployment.buildId, or shown in its nodes' logs)")
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .action(async (opts: { buildId: string; config?: string }) => {
      const config = loadConfig(opts.config);
      const version = { ...deploymentVersion(config), buildId: opts.buildId };
      const { client, close } = await connect(config);
      try {
        const service = client.connection.workflowService;
        const namespace = config.temporal.namespace;
        const before = await currentBuildId(service, namespace, version.deploymentName);
        await makeCurrent(service, namespace, version, `baton upgrade@${hostname()}`, 10_000);
        console.log(
          `deployment ${version.deploymentName}: build ${opts.buildId} is current` +
            (before && before !== opts.buildId ? ` (was ${before}; its running jobs finish on it)` : ''),
        );
      } finally {
        await close();
      }
    });
}
