/** The package entry (`import { BatonClient } from 'baton'`): the client and the types it speaks. */
export { BatonClient, JobHandle, RestoreTestHandle } from './baton-client';
export type {
  ApplyConfigOptions,
  BackupOptions,
  ClusterStatus,
  ConnectOptions,
  JobsQuery,
  RestoreOptions,
  RestoreTestOptions,
  RestoreTestsQuery,
  VerifyOptions,
} from './baton-client';
export { OperationHandle } from './operation-handle';
export type { FollowOptions } from './operation-handle';
export type { ApplyOutcome } from './apply-plan';
export type { ScheduleRow } from './schedules-client';
export type { PlanChange, PlanPart } from '../model/plan-diff';
export type { CancelResult } from './cancel-job';
export type { BatonConfig } from '../config/load';
export { ConfigError } from '../config/load';
export type { JobRow, SnapshotRow } from '../catalog/schema';
export type { AppSnapshot } from '../catalog/snapshots';
export type { AppBackupTimes } from '../catalog/backup-health';
export type { RestoreTestRow } from '../catalog/schema';
export type { RestoreTestResult, SampleSpec } from '../model/restore-test';
export type {
  BackupJobResult,
  BackupOutcome,
  BackupProgress,
  JobEntry,
  JobState,
  JobView,
  StartedBackup,
} from '../model/backup';
export type { ClusterOutage } from '../model/coordinator';
export type { AppSpec, ClusterPlan, DriveSpec, NodeSpec } from '../model/plan';
export type {
  OperationProgress,
  OperationResult,
  OperationView,
  RestoreOutcome,
  VerifyFinding,
  VerifyOutcome,
} from '../model/operations';
export { BatonError, UserError } from '../model/errors';
export {
  OtherClusterError,
  SnapshotNotFoundError,
  UnknownAppError,
  UnknownDriveError,
  UnknownNodeError,
} from './errors';
export { StuckCoordinatorError } from './coordinator-client';
export { FollowInterrupted } from './follow-interrupted';
