/**
 * The catalog as activities. Workflows write the catalog only through these; they run on the
 * shared coordinator queue, so any node's worker can take them (the catalog is on shared storage).
 */
import { addEvent, jobFinished, jobStarted, type EventInput, type JobEnd } from '../catalog/jobs';
import type { Catalog } from '../catalog/open';
import { savePlan } from '../catalog/plan';
import type { BackupJobInput, ClusterPlan } from '../workflows/types';

export function createCatalogActivities(db: Catalog) {
  const now = () => new Date().toISOString();
  return {
    async savePlan(plan: ClusterPlan): Promise<void> {
      await savePlan(db, plan, now());
    },
    async recordEvent(event: EventInput): Promise<void> {
      await addEvent(db, event, now());
    },
    async recordJobStarted(job: BackupJobInput): Promise<void> {
      await jobStarted(db, job, now());
    },
    async recordJobFinished(end: JobEnd): Promise<void> {
      await jobFinished(db, end, now());
    },
  };
}

export type CatalogActivities = ReturnType<typeof createCatalogActivities>;
