/** app-failover: moves the app to another online node mid-backup, as the cluster service would. */
import { jobResult } from '../drill-context';
import { restartProblems } from '../expectations';
import { failoverPlacement, faultRecord, type DrillScenario } from './scenario';

export const appFailover: DrillScenario = {
  name: 'app-failover',
  strikesPastCheckpoint: true,
  prepare: failoverPlacement,
  async inject(c, run) {
    const { app, say } = c;
    run.faultAtMs = Date.now();
    const how = await c.control.moveApp(app.name, run.target ?? '');
    run.movedTo = run.target;
    run.fault = faultRecord(
      'app-move',
      run.jobNode,
      null,
      run.faultAtMs,
      `moved ${app.name} from ${run.jobNode} to ${run.target} ${how}`,
    );
    say(run.fault.detail);
    run.result = await jobResult(c, run.jobId, run.jobTimeoutMs);
  },
  expect: (f) => restartProblems(f, 'moved'),
};
