/**
 * What changes between two plans (what `baton apply` prints), and which removals a running job
 * forbids (what the coordinator's `configure` refuses). Pure: no I/O, no Temporal.
 */
import type { JobEntry } from './backup';
import type { AppSchedule, AppSpec, ClusterPlan, DriveSpec, RestoreTestSpec } from './plan';

export type PlanPart = 'node' | 'drive' | 'app' | 'schedule' | 'restore-test' | 'setting';

export interface PlanChange {
  part: PlanPart;
  /** added, removed, or changed in place */
  how: 'added' | 'removed' | 'changed';
  /** the node, drive or app; for a schedule or restore test, its app; for a setting, its key under `jobs` */
  name: string;
  /** for `changed`: what differs, as `field: before -> after` */
  detail?: string;
}

/** JSON with object keys sorted, so two equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function show(value: unknown): string {
  return value === undefined ? '(unset)' : canonical(value);
}

/** `field: before -> after` for each of `fields` that differs between `a` and `b`. */
function fieldChanges<T extends object>(a: T, b: T, fields: (keyof T)[]): string[] {
  return fields
    .filter((f) => canonical(a[f]) !== canonical(b[f]))
    .map((f) => `${String(f)}: ${show(a[f])} -> ${show(b[f])}`);
}

/** Added, removed and changed entries of two named lists; `compare` lists what differs in one. */
function listChanges<T extends { name: string }>(
  part: PlanPart,
  before: T[],
  after: T[],
  compare: (a: T, b: T) => string[],
): PlanChange[] {
  const changes: PlanChange[] = [];
  const old = new Map(before.map((x) => [x.name, x]));
  const now = new Map(after.map((x) => [x.name, x]));
  for (const x of after) {
    const was = old.get(x.name);
    if (!was) changes.push({ part, how: 'added', name: x.name });
    else {
      const detail = compare(was, x);
      if (detail.length > 0) changes.push({ part, how: 'changed', name: x.name, detail: detail.join(', ') });
    }
  }
  for (const x of before) if (!now.has(x.name)) changes.push({ part, how: 'removed', name: x.name });
  return changes;
}

const DRIVE_FIELDS: (keyof DriveSpec)[] = ['node', 'kind', 'path', 'volumeSize', 'volumes', 'initOnFirstBackup'];
const APP_FIELDS: (keyof AppSpec)[] = [
  'paths',
  'restart',
  'maxCheckpointAgeSeconds',
  'bandwidthLimitBytesPerSecond',
  'keep',
];

function scheduleOf(plan: ClusterPlan | null): { name: string; schedule: AppSchedule }[] {
  return (plan?.apps ?? []).flatMap((a) => (a.schedule ? [{ name: a.name, schedule: a.schedule }] : []));
}

function restoreTestOf(plan: ClusterPlan | null): { name: string; test: RestoreTestSpec }[] {
  return (plan?.apps ?? []).flatMap((a) => (a.restoreTest ? [{ name: a.name, test: a.restoreTest }] : []));
}

/**
 * Every change from `before` to `after`, nodes first, then drives, apps, schedules and job
 * settings. `before` null: nothing was running, so everything in `after` is added.
 */
export function planDiff(before: ClusterPlan | null, after: ClusterPlan): PlanChange[] {
  const settings = Object.keys(after.jobs).sort() as (keyof ClusterPlan['jobs'])[];
  return [
    ...listChanges('node', before?.nodes ?? [], after.nodes, () => []),
    ...listChanges('drive', before?.drives ?? [], after.drives, (a, b) => fieldChanges(a, b, DRIVE_FIELDS)),
    ...listChanges('app', before?.apps ?? [], after.apps, (a, b) => fieldChanges(a, b, APP_FIELDS)),
    ...listChanges('schedule', scheduleOf(before), scheduleOf(after), (a, b) =>
      canonical(a.schedule) === canonical(b.schedule) ? [] : [`${show(a.schedule)} -> ${show(b.schedule)}`],
    ),
    ...listChanges('restore-test', restoreTestOf(before), restoreTestOf(after), (a, b) =>
      fieldChanges(a.test, b.test, ['schedule', 'sample', 'scratch']),
    ),
    ...(before
      ? settings
          .filter((k) => before.jobs[k] !== after.jobs[k])
          .map((k): PlanChange => ({
            part: 'setting',
            how: 'changed',
            name: `jobs.${k}`,
            detail: `${before.jobs[k]} -> ${after.jobs[k]}`,
          }))
      : []),
  ];
}

/** One line for a change: `app db added`, `drive d1 changed (path: "/a" -> "/b")`. */
export function describeChange(c: PlanChange): string {
  const what =
    c.part === 'schedule'
      ? `schedule of app ${c.name}`
      : c.part === 'restore-test'
        ? `restore-test schedule of app ${c.name}`
        : `${c.part} ${c.name}`;
  return `${what} ${c.how}${c.detail ? ` (${c.detail})` : ''}`;
}

/**
 * What `plan` would take away from a running job: its app, its node or its drive. One message
 * per such removal, naming the job and the fix; empty when the plan leaves every running job whole.
 */
export function removalsInUse(plan: ClusterPlan, running: JobEntry[]): string[] {
  const has = (list: { name: string }[], name: string) => list.some((x) => x.name === name);
  const problems: string[] = [];
  for (const job of running) {
    const gone = [
      has(plan.apps, job.app) ? null : `app "${job.app}"`,
      has(plan.nodes, job.node) ? null : `node "${job.node}"`,
      has(plan.drives, job.drive) ? null : `drive "${job.drive}"`,
    ].filter((x): x is string => x !== null);
    for (const what of gone) {
      problems.push(
        `the plan removes ${what}, which running job ${job.jobId} uses; wait for the job to end (or cancel it), then apply again`,
      );
    }
  }
  return problems;
}
