/**
 * The one place that builds task-queue names, workflow IDs and search attribute keys.
 * Workers, workflows and the CLI import these; nobody types a queue string.
 *
 * Every queue and workflow ID names its cluster: two clusters in one Temporal namespace, even with
 * the same node and app names, never take each other's tasks nor start a workflow under the other's
 * ID. Names are at most 63 characters (NAME_PATTERN), so the longest ID here is well under
 * Temporal's 1000-character limit for task queue names and workflow IDs.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The queue every node of the cluster polls for workflow tasks and catalog activities. */
export function coordinatorQueue(cluster: string): string {
  return `baton-${cluster}-coordinator`;
}

/**
 * The queue of the activities that wait on the coordinator or a job, polled by every node: a
 * scheduled run's request and its wait for the job's end, a job's report of its end. Each holds its
 * worker's activity slot while it waits; on the coordinator queue, apps sharing a cron time held
 * every slot so, and the activities the coordinator and the jobs needed there to answer them
 * queued behind them for good.
 */
export function waitQueue(cluster: string): string {
  return `baton-${cluster}-waits`;
}

/** Node, app, drive and cluster names: they become parts of queue names and workflow IDs. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The task queue of one node's backup service. */
export function nodeQueue(cluster: string, node: string): string {
  return `baton-${cluster}-node-${node}`;
}

/**
 * The identity a node process's workers give Temporal (it shows in the Web UI and in every event a
 * worker records): the node, the machine and the process.
 */
export function workerIdentity(node: string, host: string, pid: number): string {
  return `${node}@${host}:${pid}`;
}

/** The node and process of a workerIdentity, or null for another worker's identity. */
export function parseWorkerIdentity(identity: string): { node: string; pid: number } | null {
  const m = /^([a-z0-9][a-z0-9._-]{0,62})@.*:(\d+)$/.exec(identity);
  return m ? { node: m[1], pid: Number(m[2]) } : null;
}

export function coordinatorWorkflowId(cluster: string): string {
  return `baton-coordinator-${cluster}`;
}

/** `2026-11-27T01:23:45.678Z` -> `20261127T012345.678Z`: sortable, readable, safe in IDs. */
export function compactTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '');
}

export function backupWorkflowId(cluster: string, app: string, startedAtMs: number): string {
  return `baton-backup-${cluster}-${app}-${compactTime(startedAtMs)}`;
}

/**
 * A backup's ID before IDs named their cluster: only coordinators replaying a history from then
 * (patch `backup-ids-name-their-cluster` absent) start jobs under it.
 */
export function unscopedBackupWorkflowId(app: string, startedAtMs: number): string {
  return `baton-backup-${app}-${compactTime(startedAtMs)}`;
}

/** A restore of one app's snapshot, started by `baton restore`. */
export function restoreWorkflowId(cluster: string, app: string, startedAtMs: number): string {
  return `baton-restore-${cluster}-${app}-${compactTime(startedAtMs)}`;
}

/** A check of one drive, started by `baton verify`. */
export function verifyWorkflowId(cluster: string, drive: string, startedAtMs: number): string {
  return `baton-verify-${cluster}-${drive}-${compactTime(startedAtMs)}`;
}

/** A retention job on one drive, started by the coordinator after a backup or by `baton retention run`. */
export function retentionWorkflowId(cluster: string, drive: string, startedAtMs: number): string {
  return `baton-retention-${cluster}-${drive}-${compactTime(startedAtMs)}`;
}

/** The Temporal Schedule that backs up one app periodically. */
export function scheduleId(cluster: string, app: string): string {
  return `${schedulePrefix(cluster)}${app}`;
}

export function schedulePrefix(cluster: string): string {
  return `baton-schedule-${cluster}-`;
}

/** Workflow IDs of scheduled runs start with this; the schedule appends the run time. */
export function scheduledRunId(cluster: string, app: string): string {
  return `baton-scheduled-${cluster}-${app}`;
}

/** A restore test of one app started by hand (`baton restore-test run`). */
export function restoreTestWorkflowId(cluster: string, app: string, startedAtMs: number): string {
  return `baton-restoretest-${cluster}-${app}-${compactTime(startedAtMs)}`;
}

/**
 * The Temporal Schedule that tests restores of one app. Its own prefix: the backup schedules'
 * (`schedulePrefix`) would take it for a backup schedule of an app named `restoretest-...`.
 */
export function restoreTestScheduleId(cluster: string, app: string): string {
  return `${restoreTestSchedulePrefix(cluster)}${app}`;
}

export function restoreTestSchedulePrefix(cluster: string): string {
  return `baton-restoretest-schedule-${cluster}-`;
}

/** Workflow IDs of scheduled restore tests start with this; the schedule appends the run time. */
export function scheduledRestoreTestId(cluster: string, app: string): string {
  return `baton-restoretest-scheduled-${cluster}-${app}`;
}

export const SEARCH_ATTRIBUTES = {
  cluster: defineSearchAttributeKey('BatonCluster', SearchAttributeType.KEYWORD),
  app: defineSearchAttributeKey('BatonApp', SearchAttributeType.KEYWORD),
  node: defineSearchAttributeKey('BatonNode', SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey('BatonState', SearchAttributeType.KEYWORD),
} as const;

/** `NAME=Keyword` pairs for `temporal server start-dev --search-attribute` and the operator CLI. */
export function searchAttributeDefinitions(): string[] {
  return Object.values(SEARCH_ATTRIBUTES).map((key) => `${key.name}=Keyword`);
}
