/**
 * A FileSaver on real worker threads whose other parts (pack writer, checkpoints) are stand-ins
 * that record what would be stored, for tests that play the walk themselves.
 */
import { newTally } from '../../src/engine/backup-tally';
import { FileSaver } from '../../src/engine/file-saver';
import type { FileSaverDeps } from '../../src/engine/file-saver';
import { SmallFileBatcher } from '../../src/engine/small-file-batcher';
import { WorkerPool } from '../../src/engine/worker-pool';

export interface Saver {
  saver: FileSaver;
  deps: FileSaverDeps;
  /** IDs of the chunks stored */
  stored: string[];
  pool: WorkerPool;
}

export interface SaverOptions {
  /** the pack writer makes every add wait (a full pack being written); default true */
  addWaits?: boolean;
  /** a checkpoint is due after every chunk; default true */
  checkpointWaits?: boolean;
}

export function fileSaver({ addWaits = true, checkpointWaits = true }: SaverOptions = {}): Saver {
  const pool = new WorkerPool(null, 2);
  const stored: string[] = [];
  const deps = {
    pool,
    writer: {
      has: (id: string) => stored.includes(id),
      add: (_type: string, blob: { id: string }) => {
        stored.push(blob.id);
        return addWaits ? Promise.resolve() : undefined;
      },
    },
    cache: null,
    used: { use: () => undefined },
    batcher: new SmallFileBatcher(pool),
    checkpointer: { count: () => undefined, maybe: () => (checkpointWaits ? Promise.resolve() : undefined) },
    tally: newTally(null),
    report: () => undefined,
    limiter: null,
    segment: 4 * 1024 * 1024,
  } as unknown as FileSaverDeps;
  return { saver: new FileSaver(deps), deps, stored, pool };
}
