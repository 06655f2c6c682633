/** The workflows every node's worker registers. */
export { coordinator } from './coordinator';
export { backupJob } from './backup-job';
export { scheduledBackup } from './scheduled-backup';
export { restoreJob } from './restore-job';
export { verifyJob } from './verify-job';
export { retentionJob } from './retention-job';
export { restoreTest } from './restore-test';
