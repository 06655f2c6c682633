/**
 * When within its interval an `every` schedule fires. Temporal counts intervals from the Unix
 * epoch, so every app given `every: 1h` would back up on the hour, all at once: 1,000 apps, 1,000
 * backups asked for in the same second, and every drive shared after a failover taken at that
 * second. Unless the config says `offset`, a schedule takes a stable offset from its ID (FNV-1a),
 * in whole seconds within the interval: the same on every node and in every coordinator run, and
 * spread from app to app. docs/config.md, `apps[].schedule`.
 */
import type { AppSchedule } from './plan';

/** 32-bit FNV-1a of the string's UTF-16 code units: small, stable, spread enough for this. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The offset in seconds of schedule `id` within its interval: the config's, or one spread by the ID.
 * Null for a cron schedule, which says its own times.
 */
export function scheduleOffsetSeconds(id: string, schedule: AppSchedule): number | null {
  if (schedule.everySeconds === undefined) return null;
  if (schedule.offsetSeconds !== undefined) return schedule.offsetSeconds;
  return fnv1a(id) % schedule.everySeconds;
}
