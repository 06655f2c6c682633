/**
 * The live progress of a running backup, restore or verify, read the way that costs the job's
 * history nothing: the heartbeat details of its pending activity, which the server keeps and
 * returns with `describe()` (`raw.pendingActivities[].heartbeatDetails`). The activities write
 * them (src/model/heartbeat.ts); every viewer (the CLI, the demo, the drills) reads them here.
 */
import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { BackupProgress } from '../model/backup';
import {
  backupHeartbeatOf,
  operationHeartbeatOf,
  type BackupHeartbeat,
  type OperationHeartbeat,
} from '../model/heartbeat';
import type { OperationProgress } from '../model/operations';

/** A pending activity of a workflow, with its decoded heartbeat details (null before its first heartbeat). */
export interface PendingActivity {
  activityType: string;
  activityId: string;
  attempt: number;
  lastHeartbeat: Date | null;
  details: unknown;
}

/** The workflow's pending activities as the server describes them; none when it is closed. */
export async function pendingActivities(client: Client, workflowId: string): Promise<PendingActivity[]> {
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  const converter = client.options.loadedDataConverter;
  return Promise.all(
    (raw.pendingActivities ?? []).map(async (a) => {
      const payloads = a.heartbeatDetails?.payloads ?? [];
      const seconds = a.lastHeartbeatTime?.seconds;
      return {
        activityType: a.activityType?.name ?? '',
        activityId: a.activityId ?? '',
        attempt: a.attempt ?? 1,
        lastHeartbeat:
          seconds !== undefined && seconds !== null
            ? new Date(Number(seconds) * 1000 + Math.floor((a.lastHeartbeatTime?.nanos ?? 0) / 1e6))
            : null,
        details: payloads.length > 0 ? await decodeFromPayloadsAtIndex<unknown>(converter, 0, payloads) : null,
      };
    }),
  );
}

/** The latest heartbeat of the job's running backup attempt, or null (none running, none heartbeated yet). */
export function backupHeartbeat(activities: PendingActivity[]): BackupHeartbeat | null {
  const beats = activities.map((a) => backupHeartbeatOf(a.details)).filter((b) => b !== null);
  // a cancelled attempt may still be pending beside the next one: the newest epoch is the job's
  return beats.reduce<BackupHeartbeat | null>((a, b) => (a && a.progress.epoch >= b.progress.epoch ? a : b), null);
}

/** The latest heartbeat of a restore's or verify's running activity, or null. */
export function operationHeartbeat(activities: PendingActivity[]): OperationHeartbeat | null {
  for (const a of activities) {
    const beat = operationHeartbeatOf(a.details);
    if (beat) return beat;
  }
  return null;
}

/** A backup job's live progress, or null when no attempt of it runs (or none heartbeated yet). */
export async function backupProgress(client: Client, jobId: string): Promise<BackupHeartbeat | null> {
  return backupHeartbeat(await pendingActivities(client, jobId));
}

/** A restore's or verify's live progress, or null. */
export async function operationProgress(client: Client, jobId: string): Promise<OperationHeartbeat | null> {
  return operationHeartbeat(await pendingActivities(client, jobId));
}

/** The view with the live progress in it, when there is one (a view from an older job may carry its own). */
export function withBackupProgress<V extends { progress: BackupProgress | null }>(
  view: V,
  live: BackupHeartbeat | null,
): V {
  return live ? { ...view, progress: live.progress } : view;
}

export function withOperationProgress<V extends { progress: OperationProgress | null; state: string }>(
  view: V,
  live: OperationHeartbeat | null,
): V {
  return live && view.state === 'running' ? { ...view, progress: live.progress } : view;
}
