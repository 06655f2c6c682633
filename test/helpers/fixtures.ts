/**
 * The test cluster plan, written out once: nodes n1 and n2, drive d1 pre-assigned to n1 and d2 to
 * n2, one app `db`, and the default job settings. Tests change only what they are about.
 */
import { DEFAULT_JOB_SETTINGS, type AppSpec, type ClusterPlan, type DriveKind } from '../../src/model/plan';
import { type BackupJobInput } from '../../src/model/backup';

export interface TestPlanOptions {
  /** The cluster's name; default 'c'. */
  cluster?: string;
  /** d2's kind; default 'directory'. */
  d2Kind?: DriveKind;
  /** Fields of app db to change. */
  app?: Partial<AppSpec>;
}

/** App db: data in /data/db, restart policy auto, checkpoints resumed up to an hour old, no limit or schedule. */
export function testApp(change: Partial<AppSpec> = {}): AppSpec {
  return {
    name: 'db',
    paths: ['/data/db'],
    restart: 'auto',
    maxCheckpointAgeSeconds: 3600,
    bandwidthLimitBytesPerSecond: 0,
    schedule: null,
    ...change,
  };
}

/** n1 with d1 (/san/d1), n2 with d2 (/san/d2), app db (testApp), DEFAULT_JOB_SETTINGS. */
export function testPlan(options: TestPlanOptions = {}): ClusterPlan {
  return {
    cluster: options.cluster ?? 'c',
    nodes: [{ name: 'n1' }, { name: 'n2' }],
    drives: [
      { name: 'd1', node: 'n1', kind: 'directory', path: '/san/d1' },
      { name: 'd2', node: 'n2', kind: options.d2Kind ?? 'directory', path: '/san/d2' },
    ],
    apps: [testApp(options.app)],
    jobs: DEFAULT_JOB_SETTINGS,
  };
}

/** A backup job of the plan's first app on n1 and d1, requested by 'test', not full. */
export function testBackupJob(plan: ClusterPlan = testPlan(), change: Partial<BackupJobInput> = {}): BackupJobInput {
  return {
    cluster: plan.cluster,
    jobId: 'baton-backup-db-20261127T000000.000Z',
    coordinatorId: `baton-coordinator-${plan.cluster}`,
    app: plan.apps[0],
    node: 'n1',
    drive: plan.drives[0],
    drives: plan.drives,
    settings: plan.jobs,
    requestedBy: 'test',
    full: false,
    ...change,
  };
}

/** Ways to break a testPlan, each with the problem planProblems (and so configure) reports. */
export const BROKEN_PLANS: { name: string; change: (p: ClusterPlan) => void; problem: RegExp }[] = [
  {
    name: 'drive on unknown node',
    change: (p) => (p.drives[0].node = 'n9'),
    problem: /drive "d1" is pre-assigned to node "n9"/,
  },
  {
    name: 'node without a drive',
    change: (p) => p.nodes.push({ name: 'n3' }),
    problem: /node "n3" has no pre-assigned drive/,
  },
  { name: 'duplicate app', change: (p) => p.apps.push({ ...p.apps[0] }), problem: /app "db" is listed twice/ },
];
