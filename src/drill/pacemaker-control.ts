/**
 * The drills' control of a live Pacemaker cluster: an app moves with `crm_resource --move`, cleared
 * once Pacemaker runs it on the new node (stickiness keeps it there); a node is lost by stopping
 * its Pacemaker, which moves its apps away by itself; the view is crm_mon's, read through the same
 * adapter the node processes use. Commands reach the nodes through PacemakerTools.
 */
import { execFile } from 'node:child_process';
import { PacemakerAdapter } from '../cluster/pacemaker';
import type { BatonConfig } from '../config/load';
import { UserError } from '../model/errors';
import { waitFor } from '../util/wait';
import type { ClusterControl, ClusterView } from './cluster-control';
import type { PacemakerTools } from './pacemaker-tools';
import type { Scenario } from './scenario-names';

type PacemakerService = Extract<BatonConfig['clusterService'], { kind: 'pacemaker' }>;

function exec(argv: readonly string[], timeoutMs: number): Promise<string> {
  const [cmd = '', ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${argv.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

export class PacemakerControl implements ClusterControl {
  readonly kind = 'pacemaker';
  readonly failureMovesApps = true;
  /** Nodes whose Pacemaker this drill stopped: not asked until started again. */
  private readonly stopped = new Set<string>();

  constructor(
    private readonly config: BatonConfig,
    private readonly service: PacemakerService,
    private readonly tools: PacemakerTools,
  ) {}

  get restarter(): string {
    return this.tools.restarter;
  }

  refusal(scenario: Scenario): Promise<string | null> {
    if (this.service.cibFile) {
      return Promise.resolve(
        `${this.config.file} reads a saved CIB (clusterService.cibFile ${this.service.cibFile}), which no fault ` +
          'changes: drills need the live cluster; remove cibFile to drill it',
      );
    }
    return Promise.resolve(scenario === 'node-failure' ? this.tools.cannotStopNodes() : null);
  }

  private resourceOf(app: string): string {
    return this.service.resources[app] ?? app;
  }

  private run(argv: string[]): Promise<string> {
    return exec(this.tools.anywhere(argv, this.stopped), this.service.timeoutMs);
  }

  async view(): Promise<ClusterView> {
    const adapter = new PacemakerAdapter({
      apps: Object.fromEntries(this.config.plan.apps.map((a) => [a.name, this.resourceOf(a.name)])),
      crmMon: this.tools.anywhere(['crm_mon'], this.stopped),
      timeoutMs: this.service.timeoutMs,
    });
    const s = await adapter.snapshot();
    return {
      nodes: Object.fromEntries(s.nodes.map((n) => [n.name, n.state])),
      apps: Object.fromEntries(s.apps.map((a) => [a.name, a.state === 'started' ? a.host : null])),
    };
  }

  async moveApp(app: string, node: string): Promise<string> {
    const view = await this.view();
    if (view.nodes[node] !== 'online') {
      throw new UserError(
        `node "${node}" is ${view.nodes[node] ?? 'not in the Pacemaker cluster'}; move ${app} to an online node`,
      );
    }
    const resource = this.resourceOf(app);
    const how = `with crm_resource --move --resource ${resource} --node ${node}`;
    if (view.apps[app] === node) return `${how} (already there)`;
    await this.run(['crm_resource', '--move', '--resource', resource, '--node', node]);
    try {
      await waitFor(
        `Pacemaker to start ${resource} on ${node}`,
        async () => (await this.view().catch(() => null))?.apps[app] === node,
        60_000,
        250,
      );
    } finally {
      // The move's location constraint goes once the move is seen: stickiness keeps the app there.
      await this.run(['crm_resource', '--resource', resource, '--clear']);
    }
    return how;
  }

  async failNode(node: string): Promise<string> {
    const how = await this.tools.stopPacemaker(node);
    this.stopped.add(node);
    return how;
  }

  async restoreNode(node: string): Promise<string> {
    await this.tools.startPacemaker(node);
    this.stopped.delete(node);
    await waitFor(
      `${node} to be online in Pacemaker again`,
      async () => (await this.view().catch(() => null))?.nodes[node] === 'online',
      120_000,
      500,
    );
    return `Pacemaker started again on ${node}, online`;
  }
}
