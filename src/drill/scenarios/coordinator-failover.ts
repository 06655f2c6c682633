/**
 * coordinator-failover: SIGKILLs the node process hosting the coordinator workflow while the app
 * runs elsewhere; the job's one attempt should carry on while the coordinator moves.
 */
import type { Client } from '@temporalio/client';
import { clusterEvents } from '../../catalog/jobs';
import { coordinatorStatus } from '../../client/coordinator-client';
import { newestEvents } from '../../client/failed-task';
import { coordinatorWorkflowId, parseWorkerIdentity } from '../../model/names';
import { otherOnlineNode, signalNode } from '../../demo/cluster-control';
import { isCoordinatorMove } from '../../model/coordinator-move';
import { UserError } from '../../model/errors';
import { waitFor } from '../../util/wait';
import { jobResult, waitPlaced, type DrillContext } from '../drill-context';
import { faultRecord, type DrillRun, type DrillScenario, type FailoverEvent, type Placement } from './scenario';

/** The `from` host of a coordinator move event (its data), so an older move is not taken for this one. */
function movedFrom(dataJson: string | null): string | null {
  try {
    return (JSON.parse(dataJson ?? 'null') as { from?: string } | null)?.from ?? null;
  } catch {
    return null;
  }
}

/**
 * The coordinator's newest workflow task completed since `sinceMs` by `host`'s restarted process
 * (a pid other than `killedPid`), as the event saying so; null when there is none. A supervisor
 * that restarts a node process before the coordinator's next task (systemd's Restart=, faster than
 * the coordinator's tick) lets that process take the task, and the coordinator continues on its
 * node: there is no move to record.
 */
export async function actedOnRestartedHost(
  client: Client,
  cluster: string,
  host: string,
  killedPid: number,
  sinceMs: number,
): Promise<FailoverEvent | null> {
  const handle = client.workflow.getHandle(coordinatorWorkflowId(cluster));
  for (const e of await newestEvents(handle, 50)) {
    const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
    if (at < sinceMs) break; // newest first: the rest is older
    const worker = parseWorkerIdentity(e.workflowTaskCompletedEventAttributes?.identity ?? '');
    if (worker?.node === host && worker.pid !== killedPid) {
      return {
        at: new Date(at).toISOString(),
        node: host,
        message: `the coordinator stayed on ${host}: its restarted process (pid ${worker.pid}) ran the coordinator's next task`,
      };
    }
  }
  return null;
}

/** The coordinator must not share the app's node, or the kill would be a node failure too. */
async function prepare(c: DrillContext, home: string): Promise<Placement> {
  const { app, config, say } = c;
  const coordinatorBefore = (await coordinatorStatus(c.client, config.cluster)).host;
  if (!coordinatorBefore)
    throw new UserError('the coordinator has not reported its host yet; try again in a few seconds');
  let appNode = home;
  if (coordinatorBefore === home) {
    const to = otherOnlineNode(await c.control.view(), [home]);
    if (!to) throw new UserError(`no other online node to move ${app.name} to; bring one online first`);
    await c.control.moveApp(app.name, to);
    await waitPlaced(c, to);
    appNode = to;
    say(`moved ${app.name} off the coordinator's host ${home} to ${to} first`);
  }
  // The app does not move in this drill; the target is only a third node, when there is one.
  const target = otherOnlineNode(await c.control.view(), [appNode, coordinatorBefore]);
  return { appNode, coordinatorBefore, target };
}

/**
 * Kills the coordinator's host and waits for the coordinator to act again on another node. The
 * event is a hand-over when the cluster service still reports the killed node up (a killed Baton
 * process leaves the node online in the static map and in Pacemaker), a failover when it reports it
 * down (src/model/coordinator-move.ts); either names the killed node as `from`.
 */
async function killCoordinatorHost(c: DrillContext, run: DrillRun, host: string): Promise<void> {
  const { config, say } = c;
  const seen = new Set(
    (await clusterEvents(c.catalog, config.cluster, 200)).filter((e) => isCoordinatorMove(e.kind)).map((e) => e.id),
  );
  run.faultAtMs = Date.now();
  const pid = signalNode(config, host, 'SIGKILL');
  run.killed = { node: host, pid, markedOffline: false };
  run.fault = faultRecord(
    'sigkill-coordinator-host',
    host,
    pid,
    run.faultAtMs,
    `SIGKILL to ${host} (pid ${pid}), the coordinator's host; ${c.app.name} runs on ${run.jobNode}`,
  );
  say(run.fault.detail);
  const faultAtMs = run.faultAtMs;
  const ev = await waitFor(
    `a coordinator-failover or coordinator-handover event in the catalog, or a coordinator task done by ${host}'s restarted process`,
    async () => {
      const moved = (await clusterEvents(c.catalog, config.cluster, 200)).find(
        (e) => isCoordinatorMove(e.kind) && !seen.has(e.id) && movedFrom(e.data_json) === host,
      );
      if (moved) return { at: moved.at, node: moved.node, message: moved.message };
      const stayed = await actedOnRestartedHost(c.client, config.cluster, host, pid, faultAtMs);
      if (stayed) run.coordinatorStayed = true;
      return stayed;
    },
    60_000,
  );
  run.failoverEvent = ev;
  say(`coordinator acting again: ${ev.message}`);
}

export const coordinatorFailover: DrillScenario = {
  name: 'coordinator-failover',
  // It strikes at once, so the coordinator acts while the job still runs.
  strikesPastCheckpoint: false,
  prepare,
  async inject(c, run) {
    const host = (await coordinatorStatus(c.client, c.config.cluster)).host;
    if (!host || host === run.jobNode) {
      run.problems.push(
        `the coordinator moved onto ${host ?? 'no node'} (the app's node) before the fault; run the drill again`,
      );
    } else {
      run.coordinatorBefore = host;
      await killCoordinatorHost(c, run, host);
    }
    run.result = await jobResult(c, run.jobId, run.jobTimeoutMs);
  },
  expect(f) {
    const problems: string[] = [];
    const [first] = f.attempts;
    if (f.attempts.length !== 1 || first.outcome !== 'succeeded') {
      problems.push(
        `expected the job's one attempt to carry on and succeed, the catalog has ${f.attempts
          .map((a) => `attempt ${a.number} on ${a.node} ${a.outcome}`)
          .join(', ')}`,
      );
    }
    // acting again on the restarted process of its node is continuing too (nothing to move)
    if (!f.coordinatorStayed && (!f.coordinatorHostAfter || f.coordinatorHostAfter === f.faultNode)) {
      problems.push(`the coordinator did not move off ${f.faultNode} (now on ${f.coordinatorHostAfter ?? 'no node'})`);
    }
    return problems;
  },
};
