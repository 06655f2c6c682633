/**
 * Retention, apart from any I/O: which snapshots a keep policy keeps, with restic's semantics. For
 * each rule, walking the snapshots newest first, a snapshot is kept when its bucket (its hour, day,
 * ISO week, month or year, all in UTC; `last`: every snapshot is its own bucket) differs from the
 * previous snapshot's, until the rule has kept N. The kept set is the union over the rules; the
 * newest snapshot and any protected one (a running job or restore uses it) are always kept.
 */
import type { KeepPolicy } from './plan';
import type { RetentionResult } from './operations';
import { formatBytes } from './format';

export const KEEP_RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type KeepRule = (typeof KEEP_RULES)[number];

/** A snapshot as retention sees it: its ID and its time (ISO-8601). */
export interface Dated {
  id: string;
  time: string;
}

export interface RetentionPlan<T extends Dated> {
  /** Newest first. */
  keep: T[];
  forget: T[];
  /** Why each kept snapshot stays: the rules that chose it, `newest` or `protected`. */
  reasons: Record<string, string[]>;
}

/** `2026-W01`: the ISO week (Monday first) of a UTC date, with the year the week belongs to. */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** The bucket of a snapshot under a rule, in UTC. */
export function bucketOf(rule: KeepRule, snap: Dated): string {
  const d = new Date(snap.time);
  const iso = d.toISOString();
  switch (rule) {
    case 'last':
      return snap.id;
    case 'hourly':
      return iso.slice(0, 13);
    case 'daily':
      return iso.slice(0, 10);
    case 'weekly':
      return isoWeek(d);
    case 'monthly':
      return iso.slice(0, 7);
    case 'yearly':
      return iso.slice(0, 4);
  }
}

/** Newest first; equal times by ID, so the order (and the plan) never depends on input order. */
function newestFirst<T extends Dated>(snaps: T[]): T[] {
  return [...snaps].sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** Which of `snaps` (one app's snapshots on one drive) the policy keeps; the rest are forgotten. */
export function planRetention<T extends Dated>(
  snaps: T[],
  policy: KeepPolicy,
  protect: ReadonlySet<string> = new Set(),
): RetentionPlan<T> {
  const sorted = newestFirst(snaps);
  const reasons: Record<string, string[]> = {};
  const add = (id: string, why: string) => (reasons[id] ??= []).push(why);
  for (const rule of KEEP_RULES) {
    const n = policy[rule] ?? 0;
    let kept = 0;
    let previous: string | null = null;
    for (const s of sorted) {
      if (kept >= n) break;
      const bucket = bucketOf(rule, s);
      if (bucket === previous) continue;
      previous = bucket;
      add(s.id, `${rule} ${bucket}`);
      kept++;
    }
  }
  if (sorted.length > 0 && !reasons[sorted[0].id]) add(sorted[0].id, 'newest');
  for (const s of sorted) if (protect.has(s.id)) add(s.id, 'protected');
  return {
    keep: sorted.filter((s) => reasons[s.id]),
    forget: sorted.filter((s) => !reasons[s.id]),
    reasons,
  };
}

/** Problems with an app's keep policy, each naming the app and the fix; empty when fine. */
export function keepProblems(app: string, keep: KeepPolicy): string[] {
  const problems: string[] = [];
  for (const rule of KEEP_RULES) {
    const n = keep[rule];
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) {
      problems.push(`app "${app}" has keep.${rule}: ${n}; give a whole number of snapshots, 0 or more`);
    }
  }
  if (problems.length === 0 && !KEEP_RULES.some((r) => (keep[r] ?? 0) > 0)) {
    problems.push(
      `app "${app}" has a keep policy that keeps nothing (every rule 0); give at least one rule above 0, ` +
        'e.g. keep: {last: 7}, or remove keep to keep every snapshot',
    );
  }
  return problems;
}

/** `last 2, daily 7`: the rules above 0, in rule order. */
export function describeKeep(keep: KeepPolicy): string {
  return KEEP_RULES.filter((r) => (keep[r] ?? 0) > 0)
    .map((r) => `${r} ${keep[r]}`)
    .join(', ');
}

/** One line for the timeline and the CLI: what a retention job did on its drive, or why it did not. */
export function retentionEndMessage(r: RetentionResult): string {
  const what = `retention of ${r.apps.join(', ')} on drive ${r.drive} (node ${r.node})`;
  const o = r.outcome;
  if (r.state !== 'succeeded' || !o) return `${what} ${r.state}: ${r.error ?? ''}`;
  return (
    `${what} kept ${o.kept.length} and forgot ${o.forgotten.length} snapshot${o.forgotten.length === 1 ? '' : 's'}` +
    (o.forgotten.length > 0 ? ` (${o.forgotten.map((id) => id.slice(0, 12)).join(', ')})` : '') +
    `; ${o.packsDeleted} packs deleted, ${formatBytes(o.bytesFreed)} freed` +
    (o.packsDropped > 0 ? `, ${o.packsDropped} tape packs dropped from the index` : '') +
    (o.volumesFree !== undefined ? `, ${o.volumesRecycled ?? 0} tape volumes recycled (${o.volumesFree} free)` : '') +
    `; ${o.catalogMarked} catalog rows marked forgotten, in ${o.durationMs} ms`
  );
}
