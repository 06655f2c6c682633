/** Every drill scenario by name: what `baton drill <scenario>` runs. */
import type { Scenario } from '../scenario-names';
import { appFailover } from './app-failover';
import { coordinatorFailover } from './coordinator-failover';
import { fencing } from './fencing';
import { nodeFailure } from './node-failure';
import type { DrillScenario } from './scenario';

export const DRILL_SCENARIOS: Record<Scenario, DrillScenario> = {
  'app-failover': appFailover,
  'node-failure': nodeFailure,
  'coordinator-failover': coordinatorFailover,
  fencing,
};
