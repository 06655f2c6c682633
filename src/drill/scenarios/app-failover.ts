/** app-failover: moves the app to another online node in the static cluster map mid-backup. */
import { moveApp } from '../../demo/cluster-control';
import { jobResult } from '../drill-context';
import { restartProblems } from '../expectations';
import { failoverPlacement, faultRecord, type DrillScenario } from './scenario';

export const appFailover: DrillScenario = {
  name: 'app-failover',
  strikesPastCheckpoint: true,
  prepare: failoverPlacement,
  async inject(c, run) {
    const { app, config, say } = c;
    run.faultAtMs = Date.now();
    moveApp(config, app.name, run.target ?? '');
    run.movedTo = run.target;
    run.fault = faultRecord(
      'app-move',
      run.jobNode,
      null,
      run.faultAtMs,
      `moved ${app.name} from ${run.jobNode} to ${run.target} in the static cluster map`,
    );
    say(run.fault.detail);
    run.result = await jobResult(c, run.jobId, run.jobTimeoutMs);
  },
  expect: (f) => restartProblems(f, 'moved'),
};
