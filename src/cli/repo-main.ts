/** Standalone entry for `baton repo ...` (tests and local use): node dist/src/cli/repo-main.js repo ... */
import { Command } from 'commander';
import { repoCommand } from './repo-command';
import { tuneHeapForBackups } from '../engine/heap-tuning';

tuneHeapForBackups();
void new Command('baton').addCommand(repoCommand()).parseAsync(process.argv);
