/**
 * Entry for `baton repo ...` alone: the data engine's commands without the cluster and Temporal
 * modules, which cost about 0.35 s to load. bin/baton.js sends `baton repo ...` here;
 * `node dist/src/cli/repo-main.js repo ...` also works (tests use it).
 */
import { Command } from 'commander';
import { repoCommand } from './repo-command';
import { tuneHeapForBackups } from './heap-tuning';

export async function main(argv: string[]): Promise<void> {
  tuneHeapForBackups();
  await new Command('baton').addCommand(repoCommand()).parseAsync(argv);
}

if (require.main === module) void main(process.argv);
