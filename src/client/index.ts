/** The package entry (`import { BatonClient } from 'baton'`): the client and the types it speaks. */
export { BatonClient, JobHandle } from './baton-client';
export type { BackupOptions, ConnectOptions, JobsQuery } from './baton-client';
export type { CancelResult } from './cancel-job';
export type { BatonConfig } from '../config/load';
export { ConfigError } from '../config/load';
export type { JobRow, SnapshotRow } from '../catalog/schema';
export type { BackupJobResult, BackupOutcome, BackupProgress, JobState, JobView, StartedBackup } from '../model/backup';
export { BatonError, UserError } from '../model/errors';
