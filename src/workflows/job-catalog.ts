/** The catalog's activities as the job workflows (backup, restore, verify) call them. */
import { proxyActivities } from '@temporalio/workflow';
import type { CatalogActivities } from '../activities/catalog-activities';

export const jobCatalog = proxyActivities<CatalogActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '5s' },
});
