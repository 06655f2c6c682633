/**
 * Whether a drive path lies under a mount point that should be mounted but is not: the longest
 * mount target of /etc/fstab that is the path or one of its parents, missing from the mounts of
 * this process (/proc/self/mountinfo). A drive initialised there would land on the file system
 * underneath (the root disk), not on the storage meant for it.
 */
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { errnoCode } from './errors';

export interface MountSources {
  /** the configured mount points (default /etc/fstab) */
  fstab: string;
  /** what is mounted (default /proc/self/mountinfo) */
  mountinfo: string;
}

export const SYSTEM_MOUNTS: MountSources = { fstab: '/etc/fstab', mountinfo: '/proc/self/mountinfo' };

/** fstab and mountinfo write space, tab, newline and backslash in paths as octal escapes (\040). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

async function lines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return []; // no fstab (a container), no procfs: nothing to compare
    throw err;
  }
}

/** The mount targets fstab lists (swap and comments left out). */
export async function configuredMountPoints(fstab: string): Promise<string[]> {
  const out: string[] = [];
  for (const line of await lines(fstab)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 2 || f[0].startsWith('#') || f[1] === 'none' || f[2] === 'swap') continue;
    if (f[1].startsWith('/')) out.push(resolve(unescape(f[1])));
  }
  return out;
}

/** The mount points in a mountinfo file (its fifth field). */
export async function mountedPoints(mountinfo: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const line of await lines(mountinfo)) {
    const f = line.split(' ');
    if (f.length > 4) out.add(unescape(f[4]));
  }
  return out;
}

const under = (path: string, dir: string): boolean =>
  path === dir || dir === sep || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** The unmounted mount point `path` lies under, or null when there is none. */
export async function unmountedMountPoint(path: string, sources: MountSources = SYSTEM_MOUNTS): Promise<string | null> {
  const target = resolve(path);
  const configured = (await configuredMountPoints(sources.fstab)).filter((m) => under(target, m));
  if (configured.length === 0) return null;
  const nearest = configured.sort((a, b) => b.length - a.length)[0];
  return (await mountedPoints(sources.mountinfo)).has(nearest) ? null : nearest;
}
