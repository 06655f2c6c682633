/**
 * node-failure: SIGKILLs the app's node process and takes the node out of the cluster service
 * (marked offline in the static map; Pacemaker stopped on it). On the static map the drill places
 * the app on another node once the job's heartbeat timeout ends attempt 1, as an HA stack would;
 * Pacemaker moves it by itself, so attempt 1 ends on whichever Baton hears first: the heartbeat
 * timeout or the move.
 */
import { attemptsOf } from '../../catalog/attempts';
import { signalNode } from '../../demo/cluster-control';
import { waitFor } from '../../util/wait';
import { jobResult, type DrillContext } from '../drill-context';
import { restartProblems } from '../expectations';
import { failoverPlacement, faultRecord, type DrillRun, type DrillScenario } from './scenario';

/** Where the cluster service put the app off the failed node by itself (Pacemaker). */
async function movedByService(c: DrillContext, run: DrillRun): Promise<string> {
  return waitFor(
    `the cluster service to move ${c.app.name} off ${run.jobNode}`,
    async () => {
      const host = (await c.control.view().catch(() => null))?.apps[c.app.name];
      return host && host !== run.jobNode ? host : null;
    },
    60_000,
    250,
  );
}

export const nodeFailure: DrillScenario = {
  name: 'node-failure',
  strikesPastCheckpoint: true,
  prepare: failoverPlacement,
  async inject(c, run) {
    const { app, config, control, say } = c;
    const node = run.jobNode;
    run.faultAtMs = Date.now();
    const pid = signalNode(config, node, 'SIGKILL');
    run.killed = { node, pid, markedOffline: true };
    const how = await control.failNode(node);
    run.fault = faultRecord('sigkill-node', node, pid, run.faultAtMs, `SIGKILL to ${node} (pid ${pid}), ${how}`);
    say(run.fault.detail);
    if (control.failureMovesApps) {
      run.movedTo = await movedByService(c, run);
      say(`the cluster service moved ${app.name} to ${run.movedTo}`);
    } else {
      const ended = await waitFor(
        'attempt 1 to end (heartbeat timeout)',
        async () => (await attemptsOf(c.catalog, run.jobId)).find((a) => a.number === 1 && a.ended_at),
        60_000 + config.plan.jobs.heartbeatTimeoutSeconds * 1000,
      );
      say(`attempt 1 ended ${ended.outcome}; placing ${app.name} on ${run.target}, as the HA stack would`);
      await control.moveApp(app.name, run.target ?? '');
      run.movedTo = run.target;
    }
    run.result = await jobResult(c, run.jobId, run.jobTimeoutMs);
  },
  // A service that moves the app itself may be heard before the heartbeat timeout: `moved`.
  expect: (f) => restartProblems(f, ...(f.serviceMovesApps ? ['timed-out', 'moved'] : ['timed-out'])),
};
