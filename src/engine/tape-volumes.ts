/**
 * A tape drive's volume pool, as a tape library keeps it: `<drive>/tape-volumes.json` says which
 * volume is being appended to, which are free (recycled by prune, every pack on them unreferenced)
 * and each volume's generation (how often it was recycled). A volume's label carries its
 * generation, so a volume whose label disagrees with the pool is stale and never read as packs.
 * A drive without the file has never recycled: the current volume is the highest one started,
 * nothing is free and every generation is 0.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWrite } from './fsutil';
import { CorruptionError, errnoCode } from './errors';

export const VOLUME_LABEL_SIZE = 4096;
export const POOL_FILE = 'tape-volumes.json';

export interface VolumePool {
  version: 1;
  /** volume appended to, 0 when none */
  current: number;
  /** recycled volumes, lowest first, taken lowest first */
  free: number[];
  /** generation per volume number; absent is 0 */
  generations: Record<string, number>;
}

export function volumeName(n: number): string {
  return `vol-${String(n).padStart(6, '0')}`;
}

/** Numbers of the volumes with a file, ascending. */
export async function startedVolumes(root: string): Promise<number[]> {
  let names: string[] = [];
  try {
    names = await readdir(join(root, 'volumes'));
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  const nums = names.map((x) => /^vol-(\d{6})$/.exec(x)).flatMap((m) => (m ? [Number(m[1])] : []));
  return nums.sort((a, b) => a - b);
}

/** The pool, from its file, or as a drive that never recycled has it; a damaged file is refused. */
export async function readPool(root: string, volumes: number): Promise<{ pool: VolumePool; stored: boolean }> {
  let raw: string;
  try {
    raw = await readFile(join(root, POOL_FILE), 'utf8');
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
    const started = await startedVolumes(root);
    return { pool: { version: 1, current: started.at(-1) ?? 0, free: [], generations: {} }, stored: false };
  }
  let pool: VolumePool | null = null;
  try {
    pool = JSON.parse(raw) as VolumePool;
  } catch {
    pool = null;
  }
  if (!validPool(pool, volumes)) {
    throw new CorruptionError(
      `${join(root, POOL_FILE)} is damaged (it says which tape volumes are free); nothing was written. ` +
        `Restore it from a copy, or remove it and run \`baton repo repair index --drive ${root}\``,
    );
  }
  return { pool, stored: true };
}

function validPool(p: VolumePool | null, volumes: number): p is VolumePool {
  const isVol = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 1 && (n as number) <= volumes;
  return (
    p !== null &&
    typeof p === 'object' &&
    p.version === 1 &&
    (p.current === 0 || isVol(p.current)) &&
    Array.isArray(p.free) &&
    p.free.every(isVol) &&
    !p.free.includes(p.current) &&
    typeof p.generations === 'object' &&
    p.generations !== null &&
    Object.entries(p.generations).every(([k, g]) => isVol(Number(k)) && Number.isSafeInteger(g) && g >= 0)
  );
}

export function generation(pool: VolumePool, n: number): number {
  return pool.generations[String(n)] ?? 0;
}

export async function writePool(root: string, pool: VolumePool): Promise<void> {
  await atomicWrite(join(root, POOL_FILE), Buffer.from(JSON.stringify(pool)));
}

/** A volume's label: magic, then JSON naming the drive, the volume and its generation. */
export function labelBytes(driveId: string, volume: number, gen: number): Buffer {
  const label = Buffer.alloc(VOLUME_LABEL_SIZE);
  label.write('BATONVOL');
  label.write(JSON.stringify(gen === 0 ? { drive: driveId, volume } : { drive: driveId, volume, generation: gen }), 8);
  return label;
}

/** The generation a volume's label carries, or null when the label is not one of this drive's for that volume. */
export function labelGeneration(data: Buffer, driveId: string, volume: number): number | null {
  if (data.length < VOLUME_LABEL_SIZE || data.subarray(0, 8).toString('latin1') !== 'BATONVOL') return null;
  const text = data.subarray(8, VOLUME_LABEL_SIZE).toString('utf8').replace(/\0+$/, '');
  try {
    const l = JSON.parse(text) as { drive?: unknown; volume?: unknown; generation?: unknown };
    const gen = l.generation ?? 0;
    if (l.drive !== driveId || l.volume !== volume || !Number.isSafeInteger(gen)) return null;
    return gen as number;
  } catch {
    return null;
  }
}

/**
 * Pure: the volumes prune recycles: started, not free, holding no kept pack, and last written
 * before `olderThan` (a volume written within the grace window may hold packs of a backup prune
 * cannot see, as unindexed packs are spared on directory drives).
 */
export function planRecycle(
  started: { n: number; mtimeMs: number }[],
  pool: VolumePool,
  keptVolumes: ReadonlySet<number>,
  olderThan: number,
): number[] {
  return started
    .filter((v) => !pool.free.includes(v.n) && !keptVolumes.has(v.n) && v.mtimeMs < olderThan)
    .map((v) => v.n);
}

/** Test hook: called between the steps of recycling, so a test can cut it short there. */
export type RecycleStep = (step: 'pool-written' | 'relabelled', volume?: number) => void;

/**
 * Recycles volumes: 1. the pool file says they are free with their generation raised (the index
 * no longer lists their packs: prune wrote it first), 2. each is relabelled with its new
 * generation and its data let go (a new file holding only the label, temp+fsync+rename). A crash
 * after 1 leaves free volumes with an old label: the writer relabels a volume when it takes it,
 * and repair skips free volumes and labels whose generation disagrees with the pool.
 */
export async function recycleVolumes(
  root: string,
  driveId: string,
  pool: VolumePool,
  volumes: number[],
  onStep: RecycleStep = () => undefined,
): Promise<VolumePool> {
  if (volumes.length === 0) return pool;
  const generations = { ...pool.generations };
  for (const n of volumes) generations[String(n)] = generation(pool, n) + 1;
  const next: VolumePool = {
    version: 1,
    current: volumes.includes(pool.current) ? 0 : pool.current,
    free: [...new Set([...pool.free, ...volumes])].sort((a, b) => a - b),
    generations,
  };
  await writePool(root, next);
  onStep('pool-written');
  for (const n of volumes) {
    await atomicWrite(join(root, 'volumes', volumeName(n)), labelBytes(driveId, n, generation(next, n)));
    onStep('relabelled', n);
  }
  return next;
}

/** Volume files with their last write time. */
export async function startedWithTimes(root: string): Promise<{ n: number; mtimeMs: number }[]> {
  const out: { n: number; mtimeMs: number }[] = [];
  for (const n of await startedVolumes(root)) {
    out.push({ n, mtimeMs: (await stat(join(root, 'volumes', volumeName(n)))).mtimeMs });
  }
  return out;
}
