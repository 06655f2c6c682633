/**
 * Apps whose backups are scheduled for the same second: backup schedules that share one cron
 * expression and have no jitter. Each run asks the coordinator at that second, and the server
 * holds at most 100 requests in flight on it (docs/scale.md, "Every app at once"): `baton apply`
 * notes a crowd of CROWD_AT or more and names the fix. `every` schedules are spread by their offset
 * (schedule-offset.ts) and never crowd; restore tests do not ask the coordinator.
 */
import type { ClusterPlan } from './plan';

/** Half the server's limit of updates in flight: room is left for job ends and other requests. */
export const CROWD_AT = 50;

export interface CrowdedCron {
  cron: string;
  apps: string[];
}

/** Each cron expression without jitter that `crowdAt` or more apps' backups share, largest first. */
export function crowdedCronTimes(plan: ClusterPlan, crowdAt = CROWD_AT): CrowdedCron[] {
  const groups = new Map<string, CrowdedCron>();
  for (const app of plan.apps) {
    const s = app.schedule;
    if (!s?.cron || s.jitterSeconds) continue;
    const cron = s.cron.trim().split(/\s+/).join(' ');
    const group = groups.get(cron) ?? { cron, apps: [] };
    group.apps.push(app.name);
    groups.set(cron, group);
  }
  return [...groups.values()].filter((g) => g.apps.length >= crowdAt).sort((a, b) => b.apps.length - a.apps.length);
}

/** The note `baton apply` prints for a crowd: how many, when, a few names, and the fix. */
export function crowdNote(c: CrowdedCron): string {
  const named = c.apps.slice(0, 3).join(', ') + (c.apps.length > 3 ? ` and ${c.apps.length - 3} more` : '');
  return (
    `note: ${c.apps.length} apps' backups are scheduled for the same second (cron "${c.cron}": ${named}), ` +
    `and the coordinator takes at most 100 requests at once; spread them with a jitter, e.g. ` +
    `schedule: { cron: "${c.cron}", jitter: 30m } (docs/config.md)`
  );
}
