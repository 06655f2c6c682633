/**
 * `baton cluster move|fail`: drive the static cluster service by hand, as an HA stack would.
 * For a Pacemaker cluster, use Pacemaker's own tools (crm_resource --move, crm_node).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { connect, UserError } from '../client/connect';
import { readStaticMap, writeStaticMap } from '../cluster/static';
import { loadConfig, type BatonConfig } from '../config/load';
import { clusterChangedSignal } from '../workflows/messages';
import { coordinatorWorkflowId } from '../workflows/names';

function staticMapFile(config: BatonConfig): string {
  if (config.clusterService.kind !== 'static') {
    throw new UserError(
      `cluster ${config.cluster} uses the ${config.clusterService.kind} cluster service; ` +
        'move apps and fail nodes with its own tools (crm_resource --move, crm_node)',
    );
  }
  return config.clusterService.mapFile;
}

function checkNode(config: BatonConfig, node: string): void {
  if (!config.plan.nodes.some((n) => n.name === node)) {
    throw new UserError(
      `unknown node "${node}"; nodes in ${config.file}: ${config.plan.nodes.map((n) => n.name).join(', ')}`,
    );
  }
}

/** Moves `app` to `node` in the static map, as the HA stack would on a failover. */
export function moveApp(config: BatonConfig, app: string, node: string): { from: string | null } {
  if (!config.plan.apps.some((a) => a.name === app)) {
    throw new UserError(
      `unknown app "${app}"; apps in ${config.file}: ${config.plan.apps.map((a) => a.name).join(', ')}`,
    );
  }
  checkNode(config, node);
  const file = staticMapFile(config);
  const map = readStaticMap(file);
  if (map.nodes[node] !== 'online') {
    throw new UserError(
      `node "${node}" is ${map.nodes[node] ?? 'not in the cluster map'}; move ${app} to an online node`,
    );
  }
  const from = map.apps[app] ?? null;
  map.apps[app] = node;
  writeStaticMap(file, map);
  return { from };
}

/**
 * Fails a node: SIGKILLs its node process (from the pid file a local cluster keeps beside the
 * config), marks it offline, and moves its apps to the first online node, as the HA stack would.
 */
export function failNode(
  config: BatonConfig,
  node: string,
): { killed: number | null; moved: Record<string, string | null> } {
  checkNode(config, node);
  const file = staticMapFile(config);
  let killed: number | null = null;
  try {
    const pid = Number(readFileSync(join(dirname(config.file), `${node}.pid`), 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    killed = pid;
  } catch {
    // No local process for that node (another machine, or already dead): only the map changes.
  }
  const map = readStaticMap(file);
  map.nodes[node] = 'offline';
  const survivor = Object.keys(map.nodes)
    .sort()
    .find((n) => map.nodes[n] === 'online');
  const moved: Record<string, string | null> = {};
  for (const [app, host] of Object.entries(map.apps)) {
    if (host === node) moved[app] = map.apps[app] = survivor ?? null;
  }
  writeStaticMap(file, map);
  return { killed, moved };
}

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
