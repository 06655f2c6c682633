/**
 * `baton server-config`: prints the Temporal server's dynamic config file this cluster wants
 * (src/model/server-dynamic-config.ts; docs/deploy.md): long polls that expire after 1 s on the
 * queues nodes share and 60 s on each node's own, continue-as-new suggested at 1000 events, and 100
 * updates in flight. Redirect it to the file the server's `dynamicConfigClient.filepath` names.
 */
import { Command } from 'commander';
import { loadConfig } from '../config/load';
import { clusterDynamicConfig, dynamicConfigYaml } from '../model/server-dynamic-config';

export function serverConfigCommand(): Command {
  return new Command('server-config')
    .description("print the Temporal server's dynamic config file this cluster wants (docs/deploy.md)")
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .action((opts: { config?: string }) => {
      const config = loadConfig(opts.config);
      const nodes = config.plan.nodes.map((n) => n.name);
      process.stdout.write(
        `# The Temporal server's dynamic config for Baton cluster ${config.cluster}, from\n` +
          `# \`baton server-config\` (docs/deploy.md); run it again when nodes change.\n` +
          dynamicConfigYaml(clusterDynamicConfig([{ cluster: config.cluster, nodes }])),
      );
    });
}
