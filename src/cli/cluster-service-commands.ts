/**
 * `baton cluster move|fail|notify`: drive the static cluster service by hand, as an HA stack would
 * (src/demo/cluster-control.ts does the work), and nudge the coordinator after a cluster event.
 * For a Pacemaker cluster, use Pacemaker's own tools (crm_resource --move, crm_node).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { connect } from '../client/connect';
import { UserError } from '../model/errors';
import { loadConfig } from '../config/load';
import { failNode, moveApp } from '../demo/cluster-control';
import { clusterChangedSignal } from '../workflows/messages';
import { coordinatorWorkflowId } from '../model/names';

export function clusterCommand(): Command {
  const cmd = new Command('cluster').description('change the static cluster service (demo and test clusters)');
  cmd
    .command('move')
    .description('move an app to another node')
    .argument('<app>')
    .argument('<node>')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .action((app: string, node: string, opts: { config?: string }) => {
      const { from } = moveApp(loadConfig(opts.config), app, node);
      console.log(`moved ${app} from ${from ?? 'nowhere'} to ${node}`);
    });
  cmd
    .command('fail')
    .description("kill a node's process, mark it offline and fail its apps over")
    .argument('<node>')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .action((node: string, opts: { config?: string }) => {
      const { killed, moved } = failNode(loadConfig(opts.config), node);
      console.log(`${node}: ${killed ? `killed pid ${killed}, ` : ''}marked offline`);
      for (const [app, to] of Object.entries(moved)) console.log(`moved ${app} from ${node} to ${to ?? 'nowhere'}`);
    });
  cmd
    .command('notify')
    .description(
      'tell the coordinator the cluster changed, so it looks now (for alert hooks: reads the event as JSON on stdin)',
    )
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .action(async (opts: { config?: string }) => {
      const config = loadConfig(opts.config);
      const text = process.stdin.isTTY ? '' : readFileSync(0, 'utf8').trim();
      let event: { source?: unknown; kind?: unknown };
      try {
        event = text ? (JSON.parse(text) as typeof event) : {};
      } catch {
        throw new UserError('the event on stdin is not JSON; send one JSON object, or nothing');
      }
      const { client, close } = await connect(config);
      try {
        await client.workflow.getHandle(coordinatorWorkflowId(config.cluster)).signal(clusterChangedSignal, {
          source: typeof event.source === 'string' ? event.source : 'cli',
          kind: typeof event.kind === 'string' ? event.kind : 'unknown',
          detail: text ? text.slice(0, 1000) : undefined,
        });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          throw new UserError(`the coordinator of cluster ${config.cluster} is not running; start the cluster first`);
        }
        throw err;
      } finally {
        await close();
      }
    });
  return cmd;
}
