/**
 * `baton demo`: a whole cluster on this machine on embedded defaults. A Temporal dev server
 * (SQLite under .baton/temporal, Web UI), three node processes, the coordinator, a sample app
 * placed on node-2 by the static cluster map, and one backup of it. Runs until Ctrl-C, or with
 * --once exits after the backup, 0 when it succeeded and everything stopped cleanly. A node
 * process that dies while the demo runs (a drill's SIGKILL) is started again after about 2 s.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { connect } from '../client/connect';
import { UserError } from '../model/errors';
import { ensureCoordinator, followJob, requestBackup } from '../client/coordinator-client';
import { openCatalog } from '../catalog/open';
import { loadConfig, type BatonConfig } from '../config/load';
import { DEMO_APP, writeDemoFiles } from '../demo/demo-files';
import { NodeSupervisor } from '../demo/supervisor';
import { freePort, portFree, serverAnswers, startDevServer, type DevServer } from '../devtools/dev-server';
import type { JobView } from '../model/backup';

function say(line: string): void {
  console.log(`baton demo: ${line}`);
}

function progressLine(v: JobView): string {
  const p = v.progress;
  if (!p) return `${v.jobId}: ${v.state} on ${v.node}`;
  const pct = p.totalBytes > 0 ? Math.floor((100 * p.bytes) / p.totalBytes) : 100;
  return `${v.jobId}: ${v.state} on ${v.node}, ${p.files}/${p.totalFiles} files, ${pct}%`;
}

export interface DemoOptions {
  once?: boolean;
  /** replace a stuck coordinator even when it has running jobs (EnsureOptions.force) */
  force?: boolean;
  dir: string;
  port: string;
  uiPort: string;
  metricsPort: string;
}

/**
 * Each node's metrics address: --metrics-port for the first node and the ports after it (9464,
 * 9465, 9466), or free ones for 0; refused when one is taken, before anything starts.
 */
async function metricsAddresses(opts: DemoOptions, nodes: string[]): Promise<Map<string, string>> {
  const first = Number(opts.metricsPort);
  if (!Number.isInteger(first) || first < 0 || first + nodes.length - 1 > 65535) {
    throw new UserError('--metrics-port must be a port number (0-65535, 0 picks free ones)');
  }
  const addresses = new Map<string, string>();
  for (const [i, node] of nodes.entries()) {
    const port = first ? first + i : await freePort();
    if (!(await portFree(port))) {
      throw new UserError(
        `metrics port ${port} (for ${node}) is already in use (another demo?); stop it or run \`npm run demo -- --metrics-port 0\``,
      );
    }
    addresses.set(node, `127.0.0.1:${port}`);
  }
  return addresses;
}

/** The demo's ports: --port (a free one for 0, refused when taken) and --ui-port. */
async function demoPorts(opts: DemoOptions): Promise<{ grpcPort: number; uiPort: number }> {
  const port = Number(opts.port);
  const uiPort = Number(opts.uiPort);
  for (const [flag, value] of [
    ['--port', port],
    ['--ui-port', uiPort],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      throw new UserError(`${flag} must be a port number (0-65535, 0 picks a free one)`);
    }
  }
  const grpcPort = port || (await freePort());
  if ((await serverAnswers(`127.0.0.1:${grpcPort}`)) || !(await portFree(grpcPort))) {
    throw new UserError(
      `port ${grpcPort} is already in use (another demo or Temporal server?); stop it or run \`npm run demo -- --port 0\``,
    );
  }
  return { grpcPort, uiPort };
}

/** Starts the coordinator and backs the demo app up once; true when the backup succeeded. */
async function backUpOnce(config: BatonConfig, dir: string, server: DevServer, force = false): Promise<boolean> {
  const { client, close } = await connect(config);
  try {
    const coordinatorId = await ensureCoordinator(client, config, {
      force,
      replaceStuck: (stuck) =>
        say(
          `the coordinator left in ${dir} cannot run on this version of Baton (${stuck.reason || 'its workflow task fails on every try'}); ` +
            `terminating it and starting a new one${stuck.orphans.length ? ` (--force: its running jobs ${stuck.orphans.join(', ')} carry on untracked)` : ''}`,
        ),
    });
    say(`coordinator ${coordinatorId} is running`);
    const started = await requestBackup(client, config.cluster, DEMO_APP, 'demo');
    say(`backup ${started.jobId} of ${DEMO_APP} on ${started.node} to drive ${started.drive}`);
    let last = '';
    const result = await followJob(client, started.jobId, (view) => {
      const line = progressLine(view);
      if (line !== last) say((last = line));
    });
    say(
      `backup ${result.state}: ${result.outcome?.files} files, ${result.outcome?.bytes} bytes ` +
        `on ${result.node}: snapshot ${result.outcome?.snapshotId} on drive ${result.outcome?.drive}`,
    );
    say(`see it in the Web UI: ${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(started.jobId)}`);
    return result.state === 'succeeded';
  } finally {
    await close();
  }
}

/** Resolves on Ctrl-C (or SIGTERM). */
function untilInterrupted(): Promise<void> {
  return new Promise<void>((resolveWait) => {
    process.once('SIGINT', () => resolveWait());
    process.once('SIGTERM', () => resolveWait());
  });
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const dir = resolve(opts.dir);
  const { grpcPort, uiPort } = await demoPorts(opts);
  const files = writeDemoFiles(dir, `127.0.0.1:${grpcPort}`);
  const config = loadConfig(files.configFile);
  say(`cluster "${config.cluster}" under ${dir}`);

  let server: DevServer | undefined;
  const metrics = await metricsAddresses(
    opts,
    config.plan.nodes.map((n) => n.name),
  );
  const supervisor = new NodeSupervisor({
    configFile: files.configFile,
    runDir: dir,
    say,
    nodeArgs: (node) => ['--metrics-listen', metrics.get(node) ?? ''],
  });
  const stopAll = async (): Promise<boolean> => {
    const unclean = await supervisor.stop();
    for (const n of unclean) say(`${n.node} exited with ${n.code}; see ${n.logFile}`);
    if (server) await server.stop();
    return unclean.length === 0;
  };

  try {
    say('starting the Temporal dev server');
    server = await startDevServer({
      dataDir: resolve(dir, 'temporal'),
      port: grpcPort,
      uiPort,
      say,
    });
    say(`Temporal at ${server.address}; Web UI at ${server.uiUrl}`);
    // Opening the catalog once creates its tables before any node process needs them.
    const catalog = await openCatalog(config.catalogUrl);
    await catalog.destroy();

    for (const node of config.plan.nodes) {
      const p = supervisor.start(node.name);
      say(
        `started ${node.name} (pid ${p.child.pid}), log ${p.logFile}, ` +
          `metrics http://${metrics.get(node.name)}/metrics, health http://${metrics.get(node.name)}/healthz`,
      );
    }
    const ok = await backUpOnce(config, dir, server, opts.force);

    if (opts.once) {
      const clean = await stopAll();
      say(clean && ok ? 'done, everything stopped cleanly' : 'stopped, with errors above');
      return clean && ok ? 0 : 1;
    }
    say('running; press Ctrl-C to stop every process this demo started');
    await untilInterrupted();
    say('stopping');
    return (await stopAll()) ? 0 : 1;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('run a three-node demo cluster on this machine and back up a sample app')
    .option('--once', 'exit after the first backup (0 when it succeeded and everything stopped cleanly)')
    .option('--dir <path>', 'where the demo keeps its files', '.baton')
    .option('--port <port>', 'Temporal gRPC port (0 picks a free one)', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port (0 picks a free one)', '8233')
    .option(
      '--force',
      'replace a stuck coordinator left in --dir even when it has running jobs (they carry on untracked)',
    )
    .option('--metrics-port <port>', "first node's metrics port, the next nodes' follow it (0 picks free ones)", '9464')
    .action(async (opts: DemoOptions) => {
      process.exitCode = await runDemo(opts);
    });
}
