/**
 * node-failure: SIGKILLs the app's node process and marks the node offline; once the job's
 * heartbeat timeout ends attempt 1, places the app on another node, as an HA stack would.
 */
import { attemptsOf } from '../../catalog/attempts';
import { changeMap, moveApp, signalNode } from '../../demo/cluster-control';
import { waitFor } from '../../util/wait';
import { jobResult } from '../drill-context';
import { restartProblems } from '../expectations';
import { failoverPlacement, faultRecord, type DrillScenario } from './scenario';

export const nodeFailure: DrillScenario = {
  name: 'node-failure',
  strikesPastCheckpoint: true,
  prepare: failoverPlacement,
  async inject(c, run) {
    const { app, config, say } = c;
    const node = run.jobNode;
    run.faultAtMs = Date.now();
    const pid = signalNode(config, node, 'SIGKILL');
    run.killed = { node, pid, markedOffline: true };
    changeMap(config, (m) => (m.nodes[node] = 'offline'));
    run.fault = faultRecord(
      'sigkill-node',
      node,
      pid,
      run.faultAtMs,
      `SIGKILL to ${node} (pid ${pid}), marked offline in the static cluster map`,
    );
    say(run.fault.detail);
    const ended = await waitFor(
      'attempt 1 to end (heartbeat timeout)',
      async () => (await attemptsOf(c.catalog, run.jobId)).find((a) => a.number === 1 && a.ended_at),
      60_000 + config.plan.jobs.heartbeatTimeoutSeconds * 1000,
    );
    say(`attempt 1 ended ${ended.outcome}; placing ${app.name} on ${run.target}, as the HA stack would`);
    moveApp(config, app.name, run.target ?? '');
    run.movedTo = run.target;
    run.result = await jobResult(c, run.jobId, run.jobTimeoutMs);
  },
  expect: (f) => restartProblems(f, 'timed-out'),
};
