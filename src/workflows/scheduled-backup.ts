/**
 * What a per-app Temporal Schedule starts: ask the coordinator for a backup (it goes to the app's
 * current host), then wait for that job, so the schedule's "skip" overlap policy holds while a
 * backup runs. A refusal (a backup already running, app placed nowhere) ends the run with its reason.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ScheduleActivities, ScheduledRunInput } from '../activities/schedule-activities';

const scheduler = proxyActivities<ScheduleActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumInterval: '10s', maximumAttempts: 5 },
});

const waiter = proxyActivities<ScheduleActivities>({
  startToCloseTimeout: '24h',
  heartbeatTimeout: '30s',
  retry: { maximumInterval: '10s' },
});

export interface ScheduledRunResult {
  app: string;
  jobId: string | null;
  state: string;
  reason?: string;
}

export async function scheduledBackup(input: ScheduledRunInput): Promise<ScheduledRunResult> {
  const started = await scheduler.requestScheduledBackup(input);
  if ('refused' in started) {
    setCurrentDetails(`skipped: ${started.refused}`);
    return { app: input.app, jobId: null, state: 'skipped', reason: started.refused };
  }
  setCurrentDetails(`backup \`${started.jobId}\` on ${started.node} to ${started.drive}`);
  const state = await waiter.awaitJob(started.jobId);
  return { app: input.app, jobId: started.jobId, state };
}
