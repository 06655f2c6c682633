/** Plan validation: the checks the config loader and the coordinator's `configure` both run. */
import type { ClusterPlan } from './plan';
import { keepProblems } from './retention';
import { scratchProblems } from './restore-test';

/** Checks a plan for internal consistency; returns one message per problem, empty when fine. */
export function planProblems(plan: ClusterPlan): string[] {
  const problems: string[] = [];
  const nodes = new Set(plan.nodes.map((n) => n.name));
  const dup = (kind: string, names: string[]) => {
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) problems.push(`${kind} "${name}" is listed twice; give each ${kind} a unique name`);
      seen.add(name);
    }
  };
  dup(
    'node',
    plan.nodes.map((n) => n.name),
  );
  dup(
    'drive',
    plan.drives.map((d) => d.name),
  );
  dup(
    'app',
    plan.apps.map((a) => a.name),
  );
  for (const drive of plan.drives) {
    if (!nodes.has(drive.node)) {
      problems.push(
        `drive "${drive.name}" is pre-assigned to node "${drive.node}", which is not a node of the cluster; ` +
          `assign it to one of: ${[...nodes].join(', ')}`,
      );
    }
  }
  for (const node of plan.nodes) {
    if (!plan.drives.some((d) => d.node === node.name)) {
      problems.push(`node "${node.name}" has no pre-assigned drive; add a drive with node: ${node.name}`);
    }
  }
  for (const app of plan.apps) if (app.keep) problems.push(...keepProblems(app.name, app.keep));
  problems.push(...scratchProblems(plan));
  return problems;
}
