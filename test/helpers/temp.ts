/**
 * Temp directories for tests. Each is removed by its `cleanup()` (a test that makes big files
 * frees the space when it is done) and, whatever happened, when the test file's process exits
 * (node --test runs each file in its own process), so test runs do not fill /tmp.
 * BATON_TEST_KEEP_TMP=1 keeps them at exit, for reading a failed run's node logs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  /** Removes the directory and everything in it; again is a no-op. */
  cleanup(): void;
}

const made = new Set<string>();

function remove(path: string): void {
  made.delete(path);
  rmSync(path, { recursive: true, force: true });
}

process.on('exit', () => {
  if (process.env.BATON_TEST_KEEP_TMP === '1') return;
  for (const path of [...made]) {
    try {
      remove(path);
    } catch {
      // a process a failed test left running may still hold it; nothing more to do at exit
    }
  }
});

/** A new directory under the system temp dir, named `<prefix>XXXXXX`. */
export function tempDir(prefix = 'baton-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  made.add(path);
  return { path, cleanup: () => remove(path) };
}
