/**
 * How long an app's schedule may leave between two backups, for the "no fresh backup" alert: the
 * `every` interval, or the longest gap between the runs of a cron expression over the next
 * fifteen days (a weekly schedule gives a week) plus its jitter (a run at its time, the next at
 * the end of its jitter). Cron fields: numbers, `*`, ranges, steps, lists.
 * A schedule it cannot read (names like MON) or that runs less than twice in fifteen days gets no
 * interval, and the alert's fixed 26 h rule applies to it.
 */
import type { AppSchedule } from '../model/plan';

const RANGES: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

/** The values a cron field allows, or null when it cannot be read. */
function fieldValues(field: string, [min, max]: [number, number]): Set<number> | null {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return null;
    const from = m[1] === '*' ? min : Number(m[2]);
    const to = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] ? max : from;
    const step = m[4] ? Number(m[4]) : 1;
    if (from < min || to > max || from > to || step < 1) return null;
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/** The longest gap in seconds between consecutive runs of `cron` (UTC) from `start` over fifteen days. */
export function cronMaxGapSeconds(cron: string, start = Date.UTC(2026, 0, 1)): number | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const sets = fields.map((f, i) => fieldValues(f, RANGES[i]));
  if (sets.some((s) => s === null)) return null;
  const [minutes, hours, days, months, weekdays] = sets as Set<number>[];
  if (weekdays.has(7)) weekdays.add(0);
  const domAny = fields[2] === '*';
  const dowAny = fields[4] === '*';
  const runs: number[] = [];
  for (let t = start; t < start + 15 * 86400_000; t += 60_000) {
    const d = new Date(t);
    if (!minutes.has(d.getUTCMinutes()) || !hours.has(d.getUTCHours()) || !months.has(d.getUTCMonth() + 1)) continue;
    const dom = days.has(d.getUTCDate());
    const dow = weekdays.has(d.getUTCDay());
    // cron's rule: when both day fields are restricted, either may match
    if (domAny || dowAny ? dom && dow : dom || dow) runs.push(t);
  }
  if (runs.length < 2) return null;
  let gap = 0;
  for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i] - runs[i - 1]);
  return gap / 1000;
}

/** The longest time the schedule leaves between two backups; null: no schedule, or one it cannot read. */
export function scheduleIntervalSeconds(schedule: AppSchedule | null): number | null {
  if (!schedule) return null;
  if (schedule.everySeconds !== undefined) return schedule.everySeconds;
  const gap = schedule.cron ? cronMaxGapSeconds(schedule.cron) : null;
  return gap === null ? null : gap + (schedule.jitterSeconds ?? 0);
}
