/**
 * Baton on a live Pacemaker test cluster (pacemaker-test-cluster.ts, N nodes in network
 * namespaces): a link from this (the host's) network namespace into the cluster's bridge, so
 * servers started here on HOST_ADDRESS reach every node; a TCP relay for servers that listen on
 * 127.0.0.1 only (the test PostgreSQL); `baton node` processes run inside a node's namespaces, so
 * their crm_mon asks their own node, with pid files and restarts as the demo's; Pacemaker stopped and
 * started again on one node; and the drills' way into the nodes (testClusterTools).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pidFileIn } from '../../src/demo/cluster-control';
import { BATON_BIN } from '../../src/demo/node-processes';
import type { PacemakerTools } from '../../src/drill/pacemaker-tools';
import { run, type TestCluster } from './pacemaker-test-cluster';

/** This namespace's address on the cluster's bridge (the nodes are 10.213.0.1..N). */
export const HOST_ADDRESS = '10.213.0.254';

/**
 * Links this network namespace to the bridge of the cluster this process started (its switch
 * namespace is baton-<pid % 100000>-sw). Returns the undo; the link also goes with the namespace.
 */
export async function linkHost(): Promise<() => Promise<void>> {
  const tag = String(process.pid % 100_000);
  const sw = `baton-${tag}-sw`;
  const listed = await run(['ip', 'netns', 'list']);
  if (!listed.split('\n').some((l) => l.split(' ')[0] === sw)) {
    throw new Error(`no switch namespace ${sw}: start a TestCluster of 2 or more nodes in this process first`);
  }
  const link = `bh${tag}`;
  await run(['ip', 'link', 'add', link, 'type', 'veth', 'peer', 'name', 'ph', 'netns', sw]);
  await run(['ip', 'addr', 'add', `${HOST_ADDRESS}/24`, 'dev', link]);
  await run(['ip', 'link', 'set', link, 'up']);
  await run(['ip', '-n', sw, 'link', 'set', 'ph', 'master', 'br0', 'up']);
  return async () => {
    await run(['ip', 'link', 'del', link]).catch(() => undefined);
  };
}

/** The relay, run as its own process: the test's own event loop stops in spawnSync (`baton(...)`). */
const RELAY_SCRIPT = `
const net = require('node:net');
const [lh, lp, th, tp] = process.argv.slice(1);
const server = net.createServer((inbound) => {
  const outbound = net.connect(Number(tp), th);
  const end = () => { inbound.destroy(); outbound.destroy(); };
  inbound.on('error', end);
  outbound.on('error', end);
  inbound.pipe(outbound).pipe(inbound);
});
server.listen(Number(lp), lh, () => console.log('listening'));
`;

/** Relays TCP from `listen` (host:port) to `target` (host:port); resolves once listening. */
export async function relay(listen: string, target: string): Promise<{ close(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', RELAY_SCRIPT, ...splitAddress(listen), ...splitAddress(target)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay ${listen} -> ${target} exited with ${code}`)));
    child.stdout.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  return {
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), address.slice(at + 1)];
}

export interface NamespacedNode {
  node: string;
  /** The node process running now (a new one after a restart). */
  readonly child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts `baton node --name <node>` inside `node`'s namespaces (nsenter execs it, so the child's
 * pid is the node process itself and signals reach it directly), writes its pid file beside the
 * config as the demo does (`<configdir>/<node>.pid`, src/demo/cluster-control.ts), and starts it
 * again `restartDelayMs` after it exits unasked (a drill's SIGKILL), as the demo's supervisor or
 * systemd on a real node would.
 */
export function startNamespacedNode(
  cluster: TestCluster,
  node: string,
  configFile: string,
  logDir: string,
  restartDelayMs = 1000,
): NamespacedNode {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${node}.log`);
  const pidFile = pidFileIn(dirname(configFile), node);
  let stopping = false;
  let restart: NodeJS.Timeout | undefined;
  const spawnNode = (): ChildProcess => {
    const out = openSync(logFile, 'a');
    const [cmd = '', ...args] = cluster.on(node, process.execPath);
    const child = spawn(cmd, [...args, BATON_BIN, 'node', '--name', node, '--config', configFile], {
      stdio: ['ignore', out, out],
      env: { ...process.env, BATON_LOG_PRETTY: '0' },
    });
    closeSync(out);
    writeFileSync(pidFile, `${child.pid}\n`);
    child.once('exit', () => {
      if (stopping) return;
      restart = setTimeout(() => {
        if (!stopping) current = spawnNode();
      }, restartDelayMs);
    });
    return child;
  };
  let current = spawnNode();
  const stop = async () => {
    stopping = true;
    clearTimeout(restart);
    rmSync(pidFile, { force: true });
    const child = current;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    node,
    get child() {
      return current;
    },
    logFile,
    stop,
  };
}

/**
 * How `baton drill` reaches this test cluster's nodes (src/drill/pacemaker-tools.ts): the
 * cluster-wide tools on the first node whose Pacemaker runs, and Pacemaker stopped and started
 * again on one node in its own namespaces.
 */
export function testClusterTools(cluster: TestCluster): PacemakerTools {
  return {
    anywhere: (argv, avoid) => {
      const node = cluster.names.find((n) => !avoid.has(n));
      if (!node) throw new Error('Pacemaker is stopped on every node');
      const [cmd = '', ...args] = argv;
      return [...cluster.on(node, cmd), ...args];
    },
    cannotStopNodes: () => null,
    stopPacemaker: async (node) => {
      await stopPacemaker(cluster, node);
      return `Pacemaker stopped on ${node} (pacemakerd --shutdown), which moves its apps away`;
    },
    startPacemaker: (node) => {
      startPacemaker(cluster, node);
      return Promise.resolve();
    },
    restarter: 'the test harness (as systemd would)',
  };
}

/** Stops Pacemaker on `node` (`pacemakerd --shutdown`: its resources move away); corosync stays. */
export async function stopPacemaker(cluster: TestCluster, node: string): Promise<void> {
  await cluster.tool(node, 'pacemakerd', '--shutdown');
}

/**
 * Starts Pacemaker on `node` again, in the node's namespaces; the TestCluster's stop() ends it
 * with the rest of the node.
 */
export function startPacemaker(cluster: TestCluster, node: string): void {
  const out = openSync(join(cluster.dir, node, 'pacemakerd-again.log'), 'a');
  const [cmd = '', ...args] = cluster.on(node, 'pacemakerd');
  const child = spawn(cmd, [...args, '-f'], {
    stdio: ['ignore', out, out],
    detached: true,
    env: { ...process.env, PCMK_logfile: join(cluster.dir, node, 'pacemaker.log') },
  });
  closeSync(out);
  child.unref();
}
