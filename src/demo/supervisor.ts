/**
 * Keeps the demo's node processes up, as systemd would on a real node: a node process that exits
 * while the demo is not stopping is started again after `restartDelayMs` (its pid file rewritten),
 * with a log line. `stop()` ends every process and cancels pending restarts.
 */
import { startNodeProcess, stopNodeProcess, type NodeProcess } from './node-processes';

export interface SupervisorOptions {
  configFile: string;
  runDir: string;
  say: (line: string) => void;
  /** How long after an unexpected exit a node process is started again. */
  restartDelayMs?: number;
  /** Extra arguments for a node's `baton node` command. */
  nodeArgs?: (node: string) => string[];
}

export class NodeSupervisor {
  private readonly current = new Map<string, NodeProcess>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private stopping = false;

  constructor(private readonly opts: SupervisorOptions) {}

  /** Starts `node`'s process and watches it. */
  start(node: string): NodeProcess {
    const p = startNodeProcess(node, this.opts.configFile, this.opts.runDir, this.opts.nodeArgs?.(node));
    this.current.set(node, p);
    p.child.once('exit', (code, signal) => {
      if (this.stopping || this.current.get(node) !== p) return;
      const delay = this.opts.restartDelayMs ?? 2000;
      this.opts.say(
        `${node} exited (${signal ?? code}); restarting it in ${(delay / 1000).toFixed(0)} s (log ${p.logFile})`,
      );
      this.pending.set(
        node,
        setTimeout(() => {
          this.pending.delete(node);
          if (this.stopping) return;
          const again = this.start(node);
          this.opts.say(`restarted ${node} (pid ${again.child.pid})`);
        }, delay),
      );
    });
    return p;
  }

  processes(): NodeProcess[] {
    return [...this.current.values()];
  }

  /** Stops every node process; resolves with the nodes that did not exit with 0. */
  async stop(): Promise<{ node: string; code: number | null; logFile: string }[]> {
    this.stopping = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    // A process killed from outside and waiting for its restart is not an unclean stop.
    const awaitingRestart = new Set(this.pending.keys());
    this.pending.clear();
    const unclean: { node: string; code: number | null; logFile: string }[] = [];
    for (const p of this.current.values()) {
      if (awaitingRestart.has(p.node)) {
        await stopNodeProcess(p, this.opts.runDir);
        continue;
      }
      const code = await stopNodeProcess(p, this.opts.runDir);
      if (code !== 0) unclean.push({ node: p.node, code, logFile: p.logFile });
    }
    return unclean;
  }
}
