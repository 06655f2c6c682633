/** The page cache around the engine benchmarks' steps: filled before a backup, emptied before a restore. */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';

/** Reads every file under `dir`, so a backup starts with its sources in the page cache. */
export function warm(dir: string): void {
  spawnSync('sh', ['-c', 'find "$1" -type f -exec cat {} + > /dev/null', 'warm', dir]);
}

/** Whether this process may empty the page cache (root only). */
export const CAN_DROP = (() => {
  try {
    accessSync('/proc/sys/vm/drop_caches', constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();

/**
 * Empties the page cache (root only), so a restore reads its repository from the disk, as one does
 * after a failure; a tool that wrote its repository through the page cache gets no head start.
 */
export function dropCaches(): void {
  spawnSync('sync');
  if (CAN_DROP) writeFileSync('/proc/sys/vm/drop_caches', '3');
}
