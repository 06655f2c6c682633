/**
 * The one place that builds task-queue names, workflow IDs and search attribute keys.
 * Workers, workflows and the CLI import these; nobody types a queue string.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The shared queue every node's worker polls for workflow tasks and catalog activities. */
export const COORDINATOR_QUEUE = 'baton-coordinator';

/** Node, app, drive and cluster names: they become parts of queue names and workflow IDs. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The task queue of one node's backup service. */
export function nodeQueue(node: string): string {
  return `baton-node-${node}`;
}

export function coordinatorWorkflowId(cluster: string): string {
  return `baton-coordinator-${cluster}`;
}

/** `2026-11-27T01:23:45.678Z` -> `20261127T012345.678Z`: sortable, readable, safe in IDs. */
export function compactTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '');
}

export function backupWorkflowId(app: string, startedAtMs: number): string {
  return `baton-backup-${app}-${compactTime(startedAtMs)}`;
}

/** A restore of one app's snapshot, started by `baton restore`. */
export function restoreWorkflowId(app: string, startedAtMs: number): string {
  return `baton-restore-${app}-${compactTime(startedAtMs)}`;
}

/** A check of one drive, started by `baton verify`. */
export function verifyWorkflowId(drive: string, startedAtMs: number): string {
  return `baton-verify-${drive}-${compactTime(startedAtMs)}`;
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
