/**
 * Keeping a family of Temporal Schedules (an app's backups, its restore tests) in step with the
 * plan: each schedule carries the fingerprint of what made it in its memo (`batonSchedule`) and its
 * cluster (`batonCluster`); one whose fingerprint changed is replaced, one no app wants is deleted.
 */
import { ScheduleNotFoundError, type Client, type ScheduleSpec } from '@temporalio/client';
import type { AppSchedule } from '../model/plan';
import { scheduleOffsetSeconds } from '../model/schedule-offset';

/**
 * Schedule `id` as Temporal's spec: the cron expression, with its jitter when the config gives one
 * (the server delays each time by a stable amount, hashed from the schedule and the time, capped
 * at the next time), or the interval at its offset (schedule-offset.ts).
 */
export function scheduleSpec(id: string, s: AppSchedule): ScheduleSpec {
  if (s.cron) return { cronExpressions: [s.cron], ...(s.jitterSeconds ? { jitter: `${s.jitterSeconds}s` } : {}) };
  const every = { ...s, everySeconds: s.everySeconds ?? 86400 };
  return { intervals: [{ every: `${every.everySeconds}s`, offset: `${scheduleOffsetSeconds(id, every)}s` }] };
}

/**
 * The schedule as its fingerprint has it: with the offset an `every` schedule fires at, so one made
 * before schedules were spread (on the epoch's hour) is replaced by its spread one.
 */
export function fingerprintOf(id: string, s: AppSchedule): AppSchedule {
  const offset = scheduleOffsetSeconds(id, s);
  return offset === null ? s : { ...s, offsetSeconds: offset };
}

/** What one pass did, by app. */
export interface ScheduleSync {
  created: string[];
  updated: string[];
  deleted: string[];
}

/**
 * Creates the schedule `id` for `app` when it is missing, or replaces it when its memo's
 * fingerprint is not `fingerprint`; notes which in `result`.
 */
export async function createOrReplace(
  client: Client,
  id: string,
  app: string,
  fingerprint: string,
  create: () => Promise<unknown>,
  result: ScheduleSync,
): Promise<void> {
  const handle = client.schedule.getHandle(id);
  let existing: string | undefined;
  try {
    const memo = (await handle.describe()).memo?.batonSchedule;
    existing = typeof memo === 'string' ? memo : '';
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  if (existing === undefined) {
    await create();
    result.created.push(app);
  } else if (existing !== fingerprint) {
    await handle.delete();
    await create();
    result.updated.push(app);
  }
}

/**
 * Deletes the cluster's schedules under `prefix` whose app is not in `wanted`; returns those apps.
 * A schedule is the cluster's when its memo says so: the prefix alone would take cluster
 * `prod-eu`'s for cluster `prod`'s. `unowned: 'mine'` also takes one with no cluster in its memo
 * (backup schedules made before the memo named it).
 */
export async function deleteUnwanted(
  client: Client,
  cluster: string,
  prefix: string,
  wanted: string[],
  unowned: 'mine' | 'not mine',
): Promise<string[]> {
  const deleted: string[] = [];
  for await (const summary of client.schedule.list()) {
    if (!summary.scheduleId.startsWith(prefix)) continue;
    const owner = summary.memo?.batonCluster;
    if (owner === undefined ? unowned === 'not mine' : owner !== cluster) continue;
    const app = summary.scheduleId.slice(prefix.length);
    if (wanted.includes(app)) continue;
    try {
      await client.schedule.getHandle(summary.scheduleId).delete();
      deleted.push(app);
    } catch (err) {
      // already gone: nothing left to delete
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  return deleted;
}
