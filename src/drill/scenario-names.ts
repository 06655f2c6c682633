/** The drills `baton drill` knows: their names, what each injects, and the parsing of a name. */
import { UserError } from '../model/errors';

export const SCENARIOS = ['app-failover', 'node-failure', 'coordinator-failover', 'fencing'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const SCENARIO_SUMMARY: Record<Scenario, string> = {
  'app-failover': 'moves the app to another online node mid-backup (static map, or crm_resource --move on Pacemaker)',
  'node-failure':
    "SIGKILLs the app's node process and fails the node in the cluster service; the app goes to another node",
  'coordinator-failover': 'SIGKILLs the node process hosting the coordinator workflow (the app runs elsewhere)',
  fencing: "SIGSTOPs the app's node, moves the app, lets the job finish elsewhere, then SIGCONTs the node",
};

/** Parses a scenario name; a bad one is a UserError listing the good ones. */
export function parseScenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s === name);
  if (!found) {
    throw new UserError(
      `unknown drill "${name}"; run one of: ${SCENARIOS.join(', ')} (e.g. \`baton drill app-failover\`)`,
    );
  }
  return found;
}
