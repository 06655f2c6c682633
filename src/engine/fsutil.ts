/** Durable file helpers: atomic write (temp, fsync, rename, fsync dir) and fsync of directories. */
import { open, rename, mkdir, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `path` so that readers see all of it or nothing, durably. */
export async function atomicWrite(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

/** Writes all parts at `position` with as few writev calls as the kernel allows. */
export async function writeAll(fh: FileHandle, parts: Buffer[], position: number): Promise<void> {
  let pending = parts.filter((p) => p.length > 0);
  let pos = position;
  while (pending.length > 0) {
    const batch = pending.slice(0, 1024);
    const want = batch.reduce((a, b) => a + b.length, 0);
    const { bytesWritten } = await fh.writev(batch, pos);
    pos += bytesWritten;
    if (bytesWritten === want) {
      pending = pending.slice(batch.length);
      continue;
    }
    // short write: drop what was written and go on
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const p of pending) {
      if (skip >= p.length) {
        skip -= p.length;
        continue;
      }
      rest.push(skip > 0 ? p.subarray(skip) : p);
      skip = 0;
    }
    pending = rest;
  }
}
