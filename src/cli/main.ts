/**
 * The `baton` command. A BatonError (config, request, engine, cluster service) prints one message and
 * exits with its code (exit-codes.ts: 1, or 10, 12, 130); anything else is a bug and shows its stack.
 */
import { Command, CommanderError } from 'commander';
import { BatonError } from '../model/errors';
import { applyCommand } from './apply-command';
import { backupCommand, nodeCommand, statusCommand } from './cluster-commands';
import { checkCommand } from './check-command';
import { completionCommand } from './completion-command';
import { clusterCommand } from './cluster-service-commands';
import { demoCommand } from './demo-command';
import { drillCommand } from './drill-command';
import { EXIT, exitCodeFor } from './exit-codes';
import { jobCommand, jobsCommand } from './jobs-commands';
import { repoCommand } from './repo-command';
import { tuneHeapForBackups } from './heap-tuning';
import { restoreCommand, verifyCommand } from './restore-commands';
import { retentionCommand, snapshotsCommand } from './retention-commands';
import { restoreTestCommand, restoreTestsCommand } from './restore-test-commands';
import { schedulesCommand } from './schedules-command';
import { serverConfigCommand } from './server-config-command';
import { upgradeCommand } from './upgrade-command';

export function program(): Command {
  return new Command('baton')
    .description('Cluster-aware backups on Temporal')
    .version('0.1.0')
    .showHelpAfterError('(run `baton --help` for usage)')
    .addCommand(demoCommand())
    .addCommand(drillCommand())
    .addCommand(applyCommand())
    .addCommand(nodeCommand())
    .addCommand(statusCommand())
    .addCommand(backupCommand())
    .addCommand(restoreCommand())
    .addCommand(verifyCommand())
    .addCommand(restoreTestCommand())
    .addCommand(restoreTestsCommand())
    .addCommand(snapshotsCommand())
    .addCommand(retentionCommand())
    .addCommand(clusterCommand())
    .addCommand(schedulesCommand())
    .addCommand(jobsCommand())
    .addCommand(jobCommand())
    .addCommand(checkCommand())
    .addCommand(repoCommand())
    .addCommand(serverConfigCommand())
    .addCommand(completionCommand())
    .addCommand(upgradeCommand());
}

export async function main(argv: string[]): Promise<void> {
  tuneHeapForBackups();
  try {
    await program().exitOverride().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof BatonError) {
      console.error(`baton: ${err.message}`);
      process.exitCode = exitCodeFor(err);
      return;
    }
    console.error(err);
    process.exitCode = EXIT.failed;
  }
}

if (require.main === module) void main(process.argv);
