/**
 * Real Pacemaker + Corosync clusters for the live tests, started on this machine as root with no
 * systemd. Each node is one `sh` (NODE_SCRIPT) in a private mount namespace, holding `corosync -f`
 * and `pacemakerd -f`; bind mounts give it its own /var/lib/pacemaker (a fresh, empty CIB) and
 * /var/lib/corosync, so the machine's own Pacemaker state is never read or changed.
 *
 * One node: node-1 on 127.0.0.1 in the host's network namespace; the tools run as they are.
 * N nodes: node-i on 10.213.0.i, each in its own network namespace (baton-<tag>-ni) wired to a
 * bridge in one more namespace, with private /run and /dev/shm too (Pacemaker's IPC lives there
 * and in the network namespace); the tools run on a node through nsenter.
 *
 * Every process of a node shares its mount namespace, so stop() and crash() find them all (even
 * the daemons pacemakerd starts in their own sessions) and nothing outlives the test.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { secondNodeSkip } from './first-node';

const NODE_SCRIPT = `#!/bin/sh
# node.sh I DIR PRIVATE_RUN: one cluster node, run inside its own mount (and network) namespace.
set -eu
i="$1"; d="$2/node-$i"
for sub in cib pengine blackbox cores; do mkdir -p "$d/lib-pacemaker/$sub"; done
mkdir -p "$d/lib-corosync" "$d/log-pacemaker"
chown -R hacluster:haclient "$d/lib-pacemaker" "$d/log-pacemaker"
mount --bind "$d/lib-pacemaker" /var/lib/pacemaker
mount --bind "$d/lib-corosync" /var/lib/corosync
mount --bind "$d/log-pacemaker" /var/log/pacemaker
if [ "$3" = 1 ]; then
  mount -t tmpfs tmpfs /run
  mount -t tmpfs tmpfs /dev/shm
  hostname "node-$i"
fi
corosync -f -c "$2/corosync.conf" >"$d/corosync.log" 2>&1 &
cs=$!
PCMK_logfile="$d/pacemaker.log" pacemakerd -f >"$d/pacemakerd.log" 2>&1 &
pm=$!
trap 'kill -TERM $pm; wait $pm; kill -TERM $cs; wait $cs; exit 0' TERM INT
wait
`;

function corosyncConf(addresses: string[]): string {
  const nodes = addresses
    .map((a, i) => `  node {\n    name: node-${i + 1}\n    nodeid: ${i + 1}\n    ring0_addr: ${a}\n  }\n`)
    .join('');
  return `totem {
  version: 2
  cluster_name: baton-test
  crypto_cipher: none
  crypto_hash: none
  token: 1000
}
logging {
  to_stderr: yes
  to_logfile: no
  to_syslog: no
}
quorum {
  provider: corosync_votequorum
}
nodelist {
${nodes}}
`;
}

/** Runs a command; resolves with stdout, rejects with its stderr in the message. */
const AGENT = join(__dirname, '../../../scripts/baton-pacemaker-alert.sh');

/**
 * Registers Baton's alert agent for a test cluster whose work dir is `dir` (mode 0777). Alerts run
 * as Pacemaker's hacluster user, which may not be able to reach the checkout (a clone under a
 * 0700 temp dir, say), so the agent is copied into `dir`; each event is appended to `events`.
 */
export function alertAgent(dir: string): { xml: string; events: string } {
  const agent = join(dir, 'baton-pacemaker-alert.sh');
  copyFileSync(AGENT, agent);
  chmodSync(agent, 0o755);
  const events = join(dir, 'alerts.jsonl');
  // An erased CIB has no <alerts> section, so the alert goes in with its section.
  const xml = `<alerts><alert id="baton" path="${agent}">
  <instance_attributes id="baton-alert-attrs">
    <nvpair id="baton-alert-command" name="BATON_ALERT_COMMAND" value="cat &gt;&gt; ${events}"/>
  </instance_attributes>
</alert></alerts>`;
  return { xml, events };
}

export function run(argv: readonly string[], timeoutMs = 30_000): Promise<string> {
  const [cmd = '', ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${argv.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Resolves true once `check` does, polling every `everyMs`; false after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Why this machine cannot run live clusters, or null when it can. */
export async function whyNotLive(): Promise<string | null> {
  const once = secondNodeSkip();
  if (once) return once;
  if (process.getuid?.() !== 0) return 'live Pacemaker tests need root (corosync and pacemakerd run as root)';
  const tools = ['corosync', 'corosync-cfgtool', 'pacemakerd', 'crm_mon', 'cibadmin', 'crm_resource', 'crm_attribute'];
  for (const tool of [...tools, 'unshare', 'nsenter', 'ip']) {
    const found = await run(['sh', '-c', `command -v ${tool}`]).catch(() => '');
    if (found.trim() === '') return `${tool} not installed: run sh scripts/pacemaker-install.sh`;
  }
  if (
    await run(['crm_mon', '-1']).then(
      () => true,
      () => false,
    )
  ) {
    return 'a Pacemaker cluster already runs on this machine; the live tests start their own, stop that one first';
  }
  return null;
}

const mountNs = (pid: number): string | undefined => {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
};

/** Every process in mount namespace `ns` (a node's, made by us; never this process's own). */
function namespaceMembers(ns: string | undefined): number[] {
  if (ns === undefined || ns === mountNs(process.pid)) return [];
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((p) => mountNs(p) === ns);
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export class TestCluster {
  /** Node names, node-1..node-N. */
  readonly names: string[];
  /** Milliseconds from start until every node was online with a DC elected. */
  startupMs = 0;
  private readonly procs = new Map<string, ChildProcess>();
  private readonly netns: string[] = [];

  private constructor(
    readonly dir: string,
    readonly size: number,
    private readonly tag: string,
  ) {
    this.names = Array.from({ length: size }, (_, i) => `node-${i + 1}`);
  }

  /** Starts `size` nodes under `dir` and waits until all are online with a DC; stonith off. */
  static async start(dir: string, size: number, timeoutMs = 120_000): Promise<TestCluster> {
    const cluster = new TestCluster(dir, size, String(process.pid % 100_000));
    try {
      await cluster.boot(timeoutMs);
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  /** The command line that runs `cmd` on `node` (for tools, and PacemakerAdapter's crmMon). */
  on(node: string, cmd: string): string[] {
    const pid = this.procs.get(node)?.pid;
    if (this.size === 1) return [cmd];
    if (pid === undefined) throw new Error(`${node} is not running`);
    return ['nsenter', '-t', String(pid), '-m', '-n', '-u', cmd];
  }

  /** Runs a Pacemaker tool on `node`. */
  tool(node: string, cmd: string, ...args: string[]): Promise<string> {
    return run([...this.on(node, cmd), ...args]);
  }

  private async boot(timeoutMs: number): Promise<void> {
    const started = Date.now();
    const script = join(this.dir, 'node.sh');
    writeFileSync(script, NODE_SCRIPT);
    chmodSync(script, 0o755);
    const addresses = this.size === 1 ? ['127.0.0.1'] : this.names.map((_, i) => `10.213.0.${i + 1}`);
    writeFileSync(join(this.dir, 'corosync.conf'), corosyncConf(addresses));
    if (this.size > 1) await this.wire(addresses);
    this.names.forEach((name, i) => {
      mkdirSync(join(this.dir, `node-${i + 1}`), { recursive: true });
      const nodeArgs = ['unshare', '--mount', '--uts', '--propagation', 'private', '--', script];
      const argv = [...nodeArgs, String(i + 1), this.dir, this.size > 1 ? '1' : '0'];
      const ns = this.netns[i + 1];
      this.spawnNode(name, ns === undefined ? argv : ['ip', 'netns', 'exec', ns, ...argv]);
    });
    const first = this.names[0];
    const allOnline = await until(async () => {
      const xml = await this.tool(first, 'crm_mon', '--output-as=xml');
      const online = this.names.filter((n) => new RegExp(`<node name="${n}"[^>]* online="true"`).test(xml));
      return /<current_dc present="true"/.test(xml) && online.length === this.size;
    }, timeoutMs);
    if (!allOnline) throw new Error(`Pacemaker nodes not all online within ${timeoutMs} ms; logs in ${this.dir}`);
    this.startupMs = Date.now() - started;
    await this.tool(first, 'crm_attribute', '--name', 'stonith-enabled', '--update', 'false');
  }

  /** One network namespace per node, veths to a bridge in a switch namespace. */
  private async wire(addresses: string[]): Promise<void> {
    const sw = `baton-${this.tag}-sw`;
    this.netns.push(sw);
    await run(['ip', 'netns', 'add', sw]);
    await run(['ip', '-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await run(['ip', '-n', sw, 'link', 'set', 'br0', 'up']);
    for (const [i, address] of addresses.entries()) {
      const ns = `baton-${this.tag}-n${i + 1}`;
      this.netns.push(ns);
      await run(['ip', 'netns', 'add', ns]);
      await run(['ip', 'link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `p${i + 1}`, 'netns', sw]);
      await run(['ip', '-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      await run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      await run(['ip', '-n', sw, 'link', 'set', `p${i + 1}`, 'master', 'br0', 'up']);
    }
  }

  private spawnNode(name: string, argv: string[]): void {
    const fd = openSync(join(this.dir, `${name}.out`), 'a');
    const [cmd = '', ...args] = argv;
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    this.procs.set(name, child);
  }

  /** Kills every process of `node` at once, as a power cut would. */
  async crash(node: string): Promise<void> {
    const child = this.procs.get(node);
    if (!child?.pid) return;
    for (const pid of namespaceMembers(mountNs(child.pid))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await waitExit(child, 5_000);
    this.procs.delete(node);
  }

  /** Stops every node (pacemakerd, then corosync), kills what lingers, removes the namespaces. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.procs.entries()].map(async ([name, child]) => {
        if (child.pid !== undefined) {
          const ns = mountNs(child.pid);
          child.kill('SIGTERM');
          await waitExit(child, 60_000);
          for (const pid of namespaceMembers(ns)) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // stopped cleanly
            }
          }
        }
        this.procs.delete(name);
      }),
    );
    for (const ns of this.netns.splice(0).reverse()) {
      await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
    }
  }
}
