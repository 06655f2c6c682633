/**
 * Read-ahead for the restorer. A restore from a cold page cache has each worker thread wait on its
 * pread of a pack, then decode what it read while the disk waits: the two take turns. When a job is
 * posted to a worker, which still decodes the job before it, the pool announces the job's pack
 * ranges to the kernel with posix_fadvise(POSIX_FADV_WILLNEED) (native/aes-gcm/read_ahead.c), which
 * starts reading them into the page cache and returns at once. Pack files are kept open here, the
 * MAX_OPEN most recently used. Only a hint: a failure is ignored (the worker's own read of a
 * missing or damaged pack says what is wrong).
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';

interface ReadAheadModule {
  willNeed(fd: number, offset: number, length: number): void;
}

const MODULE = join(__dirname, '..', '..', '..', 'native', 'aes-gcm', 'build', 'Release', 'read_ahead.node');

function load(): ReadAheadModule {
  if (!existsSync(MODULE)) {
    throw new Error(
      `Baton's read-ahead module is not built (${MODULE}); run \`npm ci\` or \`node scripts/build-native.mjs\``,
    );
  }
  const module = { exports: {} as ReadAheadModule };
  process.dlopen(module, MODULE);
  return module.exports;
}

const native = load();

const MAX_OPEN = 16;

export class ReadAhead {
  /** open pack files, least recently used first */
  private readonly fds = new Map<string, number>();
  /** ranges announced (tests and figures) */
  hinted = 0;

  /** Asks the kernel to read `length` bytes of `file` from `offset` into the page cache, soon. */
  willNeed(file: string, offset: number, length: number): void {
    const fd = this.fdOf(file);
    if (fd === null) return;
    try {
      native.willNeed(fd, offset, length);
      this.hinted++;
    } catch {
      // a hint only
    }
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private fdOf(file: string): number | null {
    let fd = this.fds.get(file);
    if (fd !== undefined) {
      this.fds.delete(file);
      this.fds.set(file, fd);
      return fd;
    }
    try {
      fd = openSync(file, 'r');
    } catch {
      return null;
    }
    this.fds.set(file, fd);
    if (this.fds.size > MAX_OPEN) {
      const [oldest, old] = this.fds.entries().next().value as [string, number];
      this.fds.delete(oldest);
      closeSync(old);
    }
    return fd;
  }
}
