/**
 * Starts a real single-node Pacemaker + Corosync cluster on this machine for the live tests, with
 * no systemd: `corosync -f` on a private corosync.conf (one node, node-1, on 127.0.0.1) and
 * `pacemakerd -f`, both children of this process. Needs root and the Debian packages in
 * src/cluster/pacemaker-install.sh. Pacemaker keeps its CIB in /var/lib/pacemaker/cib, so the
 * cluster erases it on start and on stop: nothing of one run leaks into the next.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { openSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export const NODE = 'node-1';

const COROSYNC_CONF = `totem {
  version: 2
  cluster_name: baton-live-test
  crypto_cipher: none
  crypto_hash: none
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
  node {
    name: ${NODE}
    nodeid: 1
    ring0_addr: 127.0.0.1
  }
}
`;

/** Runs a Pacemaker tool; resolves with stdout, rejects with its stderr in the message. */
export function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
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

/** Why this machine cannot run the live cluster, or null when it can. */
export async function whyNotLive(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'the live Pacemaker test needs root (corosync and pacemakerd run as root)';
  for (const tool of ['corosync', 'pacemakerd', 'crm_mon', 'cibadmin', 'crm_resource', 'crm_attribute']) {
    const found = await run('sh', ['-c', `command -v ${tool}`]).catch(() => '');
    if (found.trim() === '') return `${tool} not installed: run sh src/cluster/pacemaker-install.sh`;
  }
  if (
    await run('crm_mon', ['-1']).then(
      () => true,
      () => false,
    )
  ) {
    return 'a Pacemaker cluster already runs on this machine; the live test starts its own, stop that one first';
  }
  return null;
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

export class LiveCluster {
  /** Milliseconds from starting corosync until crm_mon showed node-1 online with a DC. */
  startupMs = 0;
  private readonly children: ChildProcess[] = [];

  private constructor(readonly dir: string) {}

  /** Starts corosync and pacemakerd, waits for the node, erases the CIB and turns stonith off. */
  static async start(dir: string, timeoutMs = 90_000): Promise<LiveCluster> {
    const cluster = new LiveCluster(dir);
    try {
      await cluster.boot(timeoutMs);
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  private spawnLogged(cmd: string, args: string[], log: string, env?: NodeJS.ProcessEnv): ChildProcess {
    const fd = openSync(join(this.dir, log), 'a');
    // Own process group, so stop() can reach pacemakerd's daemons should pacemakerd not stop them.
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true, env: env ?? process.env });
    closeSync(fd);
    this.children.push(child);
    return child;
  }

  private async boot(timeoutMs: number): Promise<void> {
    const started = Date.now();
    const conf = join(this.dir, 'corosync.conf');
    writeFileSync(conf, COROSYNC_CONF);
    const corosync = this.spawnLogged('corosync', ['-f', '-c', conf], 'corosync.log');
    const corosyncUp = await until(() => run('corosync-cfgtool', ['-s']).then(() => true), 15_000);
    if (!corosyncUp) {
      throw new Error(`corosync did not start within 15 s (exit ${corosync.exitCode}); see ${this.dir}/corosync.log`);
    }
    this.spawnLogged('pacemakerd', ['-f'], 'pacemakerd.log', {
      ...process.env,
      PCMK_logfile: join(this.dir, 'pacemaker.log'),
    });
    const online = await until(async () => {
      const xml = await run('crm_mon', ['--output-as=xml']);
      return /<current_dc present="true"/.test(xml) && new RegExp(`<node name="${NODE}"[^>]* online="true"`).test(xml);
    }, timeoutMs);
    if (!online) throw new Error(`Pacemaker did not report ${NODE} online within ${timeoutMs} ms; see ${this.dir}`);
    this.startupMs = Date.now() - started;
    await run('cibadmin', ['--erase', '--force']);
    await run('crm_attribute', ['--name', 'stonith-enabled', '--update', 'false']);
  }

  /** Erases the CIB (stopping every resource), then stops pacemakerd and corosync; kills what lingers. */
  async stop(): Promise<void> {
    const [corosync, pacemakerd] = this.children;
    if (pacemakerd && pacemakerd.exitCode === null) {
      await run('cibadmin', ['--erase', '--force']).catch(() => undefined);
      await until(async () => !/role="Started"/.test(await run('crm_mon', ['--output-as=xml', '--inactive'])), 20_000);
    }
    for (const child of [pacemakerd, corosync]) {
      if (!child?.pid) continue;
      child.kill('SIGTERM');
      if (!(await waitExit(child, 45_000))) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await waitExit(child, 5_000);
      }
      // Anything left in the child's process group (a daemon pacemakerd failed to stop) goes too.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is empty
      }
    }
  }
}
