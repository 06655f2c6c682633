/**
 * The catalog's truths as gauges, read at scrape time: every node reads the same catalog, so
 * every node reports the same values, and they survive a node restart (a counter kept in memory
 * would not). An alert takes `max by (cluster, app)` over the nodes. One scrape reads the catalog
 * once (the figures are shared by the gauges for a second).
 */
import { Gauge, type Registry } from 'prom-client';
import { backupTimes, latestVerifies, runningBackups } from '../catalog/backup-health';
import type { Catalog } from '../catalog/open';
import { lastRestoreTestSuccesses, restoreTestsConfigured } from '../catalog/restore-tests';
import type { ClusterPlan } from '../model/plan';
import { scheduleIntervalSeconds } from './schedule-interval';
import { zeroRestoreTestFailures } from './node-metrics';

export interface CatalogFigures {
  backups: Awaited<ReturnType<typeof backupTimes>>;
  running: Awaited<ReturnType<typeof runningBackups>>;
  verifies: Awaited<ReturnType<typeof latestVerifies>>;
  restoreTests: Awaited<ReturnType<typeof lastRestoreTestSuccesses>>;
  restoreTestsSince: Awaited<ReturnType<typeof restoreTestsConfigured>>;
  at: number;
}

export async function readCatalogFigures(db: Catalog, cluster: string, now = Date.now()): Promise<CatalogFigures> {
  const [backups, running, verifies, restoreTests, restoreTestsSince] = await Promise.all([
    backupTimes(db, cluster),
    runningBackups(db, cluster),
    latestVerifies(db, cluster),
    lastRestoreTestSuccesses(db, cluster),
    restoreTestsConfigured(db),
  ]);
  return { backups, running, verifies, restoreTests, restoreTestsSince, at: now };
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

/** Age in seconds of the latest checkpoint of each app's running backup (since its start when it has none). */
export function checkpointAges(figures: CatalogFigures): Map<string, number> {
  const ages = new Map<string, number>();
  for (const r of figures.running) {
    const age = Math.max(0, figures.at / 1000 - seconds(r.lastCheckpoint ?? r.startedAt));
    ages.set(r.app, Math.max(age, ages.get(r.app) ?? 0));
  }
  return ages;
}

/** The catalog's figures, read at most once a second (one scrape reads them once for all gauges). */
function figuresOnceASecond(db: Catalog, cluster: string): () => Promise<CatalogFigures> {
  let cached: Promise<CatalogFigures> | undefined;
  let cachedAt = 0;
  return () => {
    if (!cached || Date.now() - cachedAt > 1000) {
      cachedAt = Date.now();
      cached = readCatalogFigures(db, cluster);
    }
    return cached;
  };
}

/** Registers the catalog gauges of `cluster` in `registry`. */
export function registerCatalogMetrics(registry: Registry, db: Catalog, cluster: string): void {
  const figures = figuresOnceASecond(db, cluster);
  const gauge = (name: string, help: string, labels: string[], fill: (g: Gauge, f: CatalogFigures) => void) => {
    registry.removeSingleMetric(name);
    return new Gauge({
      name,
      help,
      labelNames: labels,
      registers: [registry],
      async collect() {
        const f = await figures();
        this.reset();
        fill(this, f);
      },
    });
  };
  gauge(
    'baton_backup_last_success_timestamp_seconds',
    'When the app last finished a successful backup (catalog)',
    ['cluster', 'app'],
    (g, f) => {
      for (const b of f.backups) if (b.lastSuccess) g.set({ cluster, app: b.app }, seconds(b.lastSuccess));
    },
  );
  gauge(
    'baton_backup_last_failure_timestamp_seconds',
    'When a backup of the app last failed (catalog)',
    ['cluster', 'app'],
    (g, f) => {
      for (const b of f.backups) if (b.lastFailure) g.set({ cluster, app: b.app }, seconds(b.lastFailure));
    },
  );
  gauge(
    'baton_checkpoint_age_seconds',
    "Age of the latest checkpoint of the app's running backup (catalog)",
    ['cluster', 'app'],
    (g, f) => {
      for (const [app, age] of checkpointAges(f)) g.set({ cluster, app }, age);
    },
  );
  gauge(
    'baton_restore_test_last_success_timestamp_seconds',
    'When a restore test of the app last passed (catalog)',
    ['cluster', 'app'],
    (g, f) => {
      for (const r of f.restoreTests) g.set({ cluster, app: r.app }, seconds(r.at));
    },
  );
  gauge(
    'baton_restore_test_configured_timestamp_seconds',
    "When the plan gave the app its restore test (catalog): the alert's start when none has passed yet",
    ['cluster', 'app'],
    (g, f) => {
      for (const r of f.restoreTestsSince) g.set({ cluster, app: r.app }, seconds(r.since));
    },
  );
  gauge('baton_backups_running', 'Backups the catalog holds as running', ['cluster'], (g, f) => {
    g.set({ cluster }, f.running.length);
  });
  gauge(
    'baton_drive_last_verify_failed',
    "1 when the drive's latest verify failed (damage found, or the drive unreadable)",
    ['cluster', 'drive'],
    (g, f) => {
      for (const v of f.verifies) g.set({ cluster, drive: v.drive }, v.state === 'failed' ? 1 : 0);
    },
  );
  gauge(
    'baton_drive_last_verify_errors',
    "Errors the drive's latest verify found (absent when it could not count them)",
    ['cluster', 'drive'],
    (g, f) => {
      for (const v of f.verifies) if (v.errors !== null) g.set({ cluster, drive: v.drive }, v.errors);
    },
  );
}

/**
 * `baton_backup_interval_seconds{cluster,app}` and `baton_restore_test_interval_seconds{cluster,app}`:
 * the longest gap each app's backup and restore-test schedules leave (the plan).
 */
export function registerPlanMetrics(registry: Registry, plan: ClusterPlan): void {
  registerRestoreTestIntervals(registry, plan);
  registry.removeSingleMetric('baton_backup_interval_seconds');
  const gauge = new Gauge({
    name: 'baton_backup_interval_seconds',
    help: "Longest time the app's schedule leaves between two backups (baton.yaml); absent without a schedule",
    labelNames: ['cluster', 'app'],
    registers: [registry],
  });
  for (const app of plan.apps) {
    const interval = scheduleIntervalSeconds(app.schedule);
    if (interval !== null) gauge.set({ cluster: plan.cluster, app: app.name }, interval);
  }
}

function registerRestoreTestIntervals(registry: Registry, plan: ClusterPlan): void {
  registry.removeSingleMetric('baton_restore_test_interval_seconds');
  const gauge = new Gauge({
    name: 'baton_restore_test_interval_seconds',
    help: "Longest time the app's restore-test schedule leaves between two runs (baton.yaml); absent without one",
    labelNames: ['cluster', 'app'],
    registers: [registry],
  });
  for (const app of plan.apps) {
    const interval = scheduleIntervalSeconds(app.restoreTest?.schedule ?? null);
    if (interval !== null) gauge.set({ cluster: plan.cluster, app: app.name }, interval);
  }
  zeroRestoreTestFailures(
    plan.cluster,
    plan.apps.filter((a) => a.restoreTest).map((a) => a.name),
  );
}
