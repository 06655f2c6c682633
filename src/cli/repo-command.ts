/**
 * `baton repo ...`: local-mode commands over the data engine (no Temporal): init, backup,
 * snapshots, restore, verify, forget, prune, repair index, key. Password from BATON_PASSWORD or --password-file.
 * Exit codes (exit-codes.ts, docs/cli.md): 0 ok, 3 committed but incomplete, 10 no repository on the
 * drive, 12 wrong password, 130 interrupted, 1 any other failure (the message says why and what to do).
 * backup and restore show their progress (progress-renderer.ts): a live line on a terminal, plain
 * lines otherwise, JSON lines with --json.
 */
import { Command, Option } from 'commander';
import { readPasswordFile } from './password-file';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  Drive,
  backup,
  listSnapshots,
  openDrive,
  prestartWorkers,
  readSnapshot,
  restore,
  WalkAhead,
  type Checkpoint,
  type DriveKind,
} from '../engine/index';
import { verify } from '../engine/checker';
import { BatonError, UserError } from '../model/errors';
import { forget, prune } from '../engine/pruner';
import { repairIndex } from '../engine/repair-index';
import { addKey, changePassword, listKeys, removeKey } from '../engine/keys';
import { atomicWrite } from '../engine/fsutil';
import { ZSTD_LEVEL } from '../engine/blob';
import type { ProgressCounters, ProgressReporter } from '../engine/progress';
import { EXIT, exitCodeFor } from './exit-codes';
import { ProgressRenderer, progressMode } from './progress-renderer';

interface Common {
  drive: string[];
  kind?: DriveKind;
  passwordFile?: string;
  json?: boolean;
}

/** A flag or argument of `baton repo` that cannot work as given. */
class UsageError extends UserError {}

function password(o: Common): string | undefined {
  if (o.passwordFile) {
    try {
      return readPasswordFile(o.passwordFile);
    } catch (err) {
      throw new UsageError(`cannot read password file ${o.passwordFile}: ${(err as Error).message}`);
    }
  }
  return process.env.BATON_PASSWORD;
}

async function drives(o: Common): Promise<Drive[]> {
  if (o.drive.length === 0) throw new UsageError('--drive PATH is required');
  const pw = password(o);
  const out: Drive[] = [];
  for (const p of o.drive) {
    const d = await openDrive(p, { password: pw });
    if (o.kind && d.kind !== o.kind) {
      throw new UsageError(`drive ${d.path} is a ${d.kind} drive, not ${o.kind}; drop --kind or name the right drive`);
    }
    out.push(d);
  }
  return out;
}

function print(o: { json?: boolean }, value: unknown, text: string): void {
  process.stdout.write(
    o.json ? JSON.stringify(value, null, 2) + '\n' : text.endsWith('\n') || text === '' ? text : text + '\n',
  );
}

/**
 * The progress of a local backup or restore on stdout: the engine's counters as a live line on a
 * terminal, plain lines otherwise, JSON `status` lines with --json (then the `summary`).
 */
function localProgress(
  o: { json?: boolean },
  totals: { files: number; bytes: number } | null = null,
): { renderer: ProgressRenderer; reporter: ProgressReporter } {
  const renderer = new ProgressRenderer({ out: process.stdout, mode: progressMode(process.stdout, o.json) });
  const update = (c: Readonly<ProgressCounters>): void =>
    renderer.update({ bytes: c.bytes, files: c.files, totalBytes: totals?.bytes, totalFiles: totals?.files });
  return { renderer, reporter: { update } };
}

/** Runs an action, turning errors into a message on stderr and their exit code (exit-codes.ts). */
function run<A extends unknown[]>(name: string, fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await fn(...args);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const hint = err instanceof BatonError ? '' : ' (unexpected error; please report it)';
      process.stderr.write(`baton repo ${name}: ${msg}${hint}\n`);
      process.exitCode = exitCodeFor(err);
    }
  };
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`not a whole number: ${v}`);
  return n;
};

function withCommon(c: Command): Command {
  return c
    .option('--drive <path>', 'the drive (repeat for snapshots spanning drives)', collect, [])
    .addOption(new Option('--kind <kind>', 'expected drive kind').choices(['directory', 'tape']))
    .option('--password-file <file>', 'read the password from this file (default: $BATON_PASSWORD)')
    .option('--json', 'machine-readable output');
}

export function repoCommand(): Command {
  const repo = new Command('repo').description('local backup repositories on drives (no coordinator needed)');
  addInit(repo);
  addBackup(repo);
  addSnapshots(repo);
  addRestore(repo);
  addVerify(repo);
  addForget(repo);
  addPrune(repo);
  addRepair(repo);
  addKeys(repo);
  return repo;
}

interface InitFlags extends Common {
  volumeSize?: number;
  volumes?: number;
  encryption: boolean;
  compressionLevel?: number;
  contentKeyFrom?: string;
}

function addInit(repo: Command): void {
  withCommon(repo.command('init'))
    .description('initialise a drive; it records its kind and format version')
    .option('--volume-size <bytes>', 'tape: bytes per volume', int)
    .option('--volumes <n>', 'tape: number of volumes', int)
    .option('--no-encryption', 'store data unencrypted (only when explicitly wanted)')
    .option('--compression-level <n>', `zstd level, 1 (fastest) to 19 (smallest); default ${ZSTD_LEVEL}`, int)
    .option('--content-key-from <path>', "share this drive's content key (deduplicate and resume across the two)")
    .action(run('init', init));
}

async function init(o: InitFlags): Promise<number> {
  if (o.drive.length !== 1) throw new UsageError('init takes exactly one --drive PATH');
  if (!o.encryption && password(o)) {
    // every later command refuses an unencrypted drive when given a passphrase (a drive edited to
    // say "unencrypted" must not take backups in clear), so such a drive is used without one
    throw new UsageError(
      '--no-encryption with a passphrase given: an unencrypted drive is used without one; unset BATON_PASSWORD and drop --password-file, or drop --no-encryption',
    );
  }
  const contentKey = o.contentKeyFrom === undefined ? undefined : await contentKeyOf(o.contentKeyFrom, o);
  const d = await Drive.init(
    o.drive[0],
    {
      kind: o.kind ?? 'directory',
      volumeSize: o.volumeSize,
      volumes: o.volumes,
      encryption: o.encryption,
      compressionLevel: o.compressionLevel,
      contentKey,
    },
    password(o),
  );
  print(
    o,
    { drive: d.path, id: d.id, kind: d.kind, encrypted: d.key !== null, compressionLevel: d.compressionLevel },
    `initialised ${d.kind} drive ${d.path} (id ${d.id}${d.key ? ', encrypted' : ', NOT encrypted'}, zstd level ${d.compressionLevel})`,
  );
  return EXIT.ok;
}

/** The content key of the drive at `path` (opened with the same passphrase), for --content-key-from. */
async function contentKeyOf(path: string, o: InitFlags): Promise<Buffer> {
  if (!o.encryption) {
    throw new UsageError(
      '--content-key-from with --no-encryption: an unencrypted drive has no content key; drop one of them',
    );
  }
  const other = await Drive.open(path, { password: password(o) });
  if (other.contentKey === null) {
    throw new UsageError(
      `drive ${other.path} has no content key (format ${other.config.version}${other.key ? '' : ', unencrypted'}: its ` +
        `chunk IDs are unkeyed), so there is none to share; nothing was written. Init without --content-key-from`,
    );
  }
  return other.contentKey;
}

interface BackupFlags extends Common {
  app?: string;
  cache: string | boolean;
  checkpointFile?: string;
  resume?: string;
  checkpointSeconds?: number;
  checkpointBytes?: number;
  bandwidthLimit?: number;
}

function addBackup(repo: Command): void {
  withCommon(repo.command('backup'))
    .description('back up paths into a new snapshot; prints its ID')
    .argument('[paths...]', 'files or directories (one directory: its contents become the snapshot root)')
    .option('--app <name>', 'application name (selects the file cache, groups snapshots)')
    .option('--cache <file>', 'file cache location')
    .option('--no-cache', 'read every file again')
    .option('--checkpoint-file <file>', 'write each checkpoint here (atomically)')
    .option('--resume <file>', 'continue the backup recorded in this checkpoint file (on --drive, any drive)')
    .option('--checkpoint-seconds <s>', 'checkpoint interval in seconds (default 15)', int)
    .option('--checkpoint-bytes <n>', 'checkpoint after this many bytes read (default 256 MiB)', int)
    .option('--bandwidth-limit <bytes>', 'read the sources at most this many bytes per second', int)
    .action(run('backup', backupPaths));
}

/** The checkpoint to resume from (--resume), or none; a backup needs one or some paths. */
async function resumePoint(paths: string[], o: BackupFlags): Promise<Checkpoint | undefined> {
  if (o.resume) {
    try {
      return JSON.parse(await readFile(o.resume, 'utf8')) as Checkpoint;
    } catch (err) {
      throw new UsageError(`cannot read checkpoint file ${o.resume}: ${(err as Error).message}`);
    }
  }
  if (paths.length === 0) throw new UsageError('name at least one path to back up (or --resume a checkpoint file)');
  return undefined;
}

async function backupPaths(paths: string[], o: BackupFlags): Promise<number> {
  const resumeFrom = await resumePoint(paths, o);
  // the sources are listed while the drive's key is derived (scrypt, about 0.5 s)
  const walkAhead = resumeFrom ? undefined : WalkAhead.start(paths, o.drive);
  const [drive, ...others] = await drives(o).catch((err: unknown) => {
    walkAhead?.stop();
    throw err;
  });
  const cpFile = o.checkpointFile ?? o.resume;
  if (cpFile) await mkdir(dirname(cpFile), { recursive: true });
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const shown = localProgress(o);
  try {
    const r = await backup({
      drive,
      otherDrives: others,
      password: password(o),
      sources: paths,
      app: o.app,
      cachePath: o.cache === false ? null : typeof o.cache === 'string' ? o.cache : undefined,
      resumeFrom,
      walkAhead,
      signal: ac.signal,
      checkpointEvery: { seconds: o.checkpointSeconds, bytes: o.checkpointBytes },
      rateLimit: o.bandwidthLimit,
      onCheckpoint: cpFile ? async (cp) => atomicWrite(cpFile, Buffer.from(JSON.stringify(cp))) : undefined,
      progress: shown.reporter,
    });
    shown.renderer.clear();
    for (const e of r.errors) process.stderr.write(`error: ${e.path}: ${e.message} (not backed up)\n`);
    for (const w of r.warnings) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
    if (r.incomplete) {
      process.stderr.write(
        `snapshot ${r.snapshotId} was committed but is incomplete (${r.errors.length} errors, ${r.warnings.length} warnings); fix the paths above and run the backup again\n`,
      );
    }
    shown.renderer.finish(
      { snapshot: r.snapshotId, incomplete: r.incomplete, stats: r.stats, errors: r.errors, warnings: r.warnings },
      r.snapshotId,
    );
    return r.incomplete ? EXIT.incomplete : EXIT.ok;
  } finally {
    shown.renderer.clear();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function addSnapshots(repo: Command): void {
  withCommon(repo.command('snapshots')).description('list snapshots').action(run('snapshots', snapshots));
}

async function snapshots(o: Common): Promise<number> {
  const [drive] = await drives(o);
  const list = await listSnapshots(drive);
  const lines = list.map(
    ({ id, snapshot: s }) =>
      `${id.slice(0, 12)}  ${s.time}  ${s.app ?? '-'}  ${s.paths.join(',')}  files=${s.stats.files} bytes=${s.stats.bytes}${s.incomplete ? '  INCOMPLETE' : ''}`,
  );
  print(
    o,
    list.map(({ id, snapshot }) => ({ id, ...snapshot })),
    lines.join('\n'),
  );
  return EXIT.ok;
}

function addRestore(repo: Command): void {
  withCommon(repo.command('restore'))
    .description('restore a snapshot (or --path inside it) into --target')
    .argument('<snapshot>', 'snapshot ID or unique prefix')
    .requiredOption('--target <dir>', 'directory to restore into')
    .option('--path <subtree>', 'restore only this directory of the snapshot')
    .option('--no-devices', 'skip device nodes (as root they are restored by default)')
    .option('--no-setuid', 'restore modes without their setuid and setgid bits')
    .action(run('restore', restoreSnapshot));
}

async function restoreSnapshot(
  id: string,
  o: Common & { target: string; path?: string; devices: boolean; setuid: boolean },
): Promise<number> {
  prestartWorkers('restore-worker.js'); // they boot while the drive key is derived
  const [drive, ...others] = await drives(o);
  // the whole snapshot's counts are the totals; a --path subtree's are not known beforehand
  const shown = localProgress(o, o.path ? null : (await readSnapshot(drive, id)).stats);
  try {
    const r = await restore({
      drive,
      otherDrives: others,
      password: password(o),
      snapshotId: id,
      target: o.target,
      subtree: o.path,
      progress: shown.reporter,
      noDevices: !o.devices,
      noSetuid: !o.setuid,
    });
    shown.renderer.clear();
    for (const s of r.skipped) process.stderr.write(`skipped: ${s.path}: ${s.message}\n`);
    for (const w of r.warnings) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
    shown.renderer.finish(
      { ...r },
      `restored ${r.files} files, ${r.dirs} directories, ${r.bytes} bytes into ${o.target}` +
        (r.setuidStripped === undefined ? '' : `, ${r.setuidStripped} without setuid/setgid`),
    );
    return EXIT.ok;
  } finally {
    shown.renderer.clear();
  }
}

function addVerify(repo: Command): void {
  withCommon(repo.command('verify'))
    .description('check the drive structure; --read-data also reads and checks every pack')
    .option('--read-data', 'read all data')
    .action(run('verify', verifyDrive));
}

async function verifyDrive(o: Common & { readData?: boolean }): Promise<number> {
  const [drive, ...others] = await drives(o);
  const r = await verify({ drive, otherDrives: others, password: password(o), readData: o.readData });
  const text = [
    ...r.errors.map((e) => `error: ${e.message}`),
    ...r.infos.map((e) => `info: ${e.message}`),
    `${r.snapshots} snapshots, ${r.packs} packs, ${r.blobs} blobs checked${o.readData ? `, ${r.bytesRead} bytes read` : ''}: ` +
      (r.ok ? 'no errors' : `${r.errors.length} errors`),
  ].join('\n');
  print(o, r, text);
  if (!r.ok && !o.json) {
    process.stderr.write(
      `verify found ${r.errors.length} errors on drive ${drive.path}; snapshots using the named packs cannot be fully restored. ` +
        `Back the affected apps up again, then \`baton repo forget\` the damaged snapshots and \`baton repo prune\`.\n`,
    );
  }
  return r.ok ? EXIT.ok : EXIT.failed;
}

interface ForgetFlags extends Common {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  dryRun?: boolean;
  prune?: boolean;
}

function addForget(repo: Command): void {
  withCommon(repo.command('forget'))
    .description('remove snapshots not kept by the policy (per app and paths)')
    .option('--keep-last <n>', 'keep the n newest', int)
    .option('--keep-hourly <n>', 'keep the newest of each of the last n hours (UTC)', int)
    .option('--keep-daily <n>', 'keep the newest of each of the last n days', int)
    .option('--keep-weekly <n>', 'keep the newest of each of the last n weeks', int)
    .option('--keep-monthly <n>', 'keep the newest of each of the last n months', int)
    .option('--keep-yearly <n>', 'keep the newest of each of the last n years', int)
    .option('--dry-run', 'only show what would be removed')
    .option('--prune', 'prune unused data afterwards')
    .action(run('forget', forgetSnapshots));
}

async function forgetSnapshots(o: ForgetFlags): Promise<number> {
  const [drive, ...others] = await drives(o);
  const plan = await forget({
    drive,
    password: password(o),
    dryRun: o.dryRun,
    policy: {
      last: o.keepLast,
      hourly: o.keepHourly,
      daily: o.keepDaily,
      weekly: o.keepWeekly,
      monthly: o.keepMonthly,
      yearly: o.keepYearly,
    },
  });
  const pruned = o.prune && !o.dryRun ? await prune({ drive, otherDrives: others, password: password(o) }) : null;
  print(
    o,
    { keep: plan.keep.map((s) => s.id), remove: plan.remove.map((s) => s.id), prune: pruned },
    [
      ...plan.remove.map((s) => `${o.dryRun ? 'would remove' : 'removed'} ${s.id.slice(0, 12)} ${s.snapshot.time}`),
      `kept ${plan.keep.length} snapshots`,
      pruned ? `pruned: ${pruned.packsDeleted} packs deleted, ${pruned.bytesFreed} bytes freed` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return EXIT.ok;
}

function addPrune(repo: Command): void {
  withCommon(repo.command('prune'))
    .description('delete data no snapshot uses (takes an exclusive lock)')
    .option('--dry-run', 'only count')
    .action(run('prune', pruneDrive));
}

async function pruneDrive(o: Common & { dryRun?: boolean }): Promise<number> {
  const [drive, ...others] = await drives(o);
  const r = await prune({ drive, otherDrives: others, password: password(o), dryRun: o.dryRun });
  print(
    o,
    r,
    `${r.packsDeleted} packs deleted (${r.bytesFreed} bytes), ${r.packsKept} kept` +
      (r.packsDropped ? `, ${r.packsDropped} dropped from the tape index` : '') +
      (r.volumesRecycled ? `, ${r.volumesRecycled} tape volumes recycled (${r.volumesFree} free)` : '') +
      (r.packsSpared
        ? `, ${r.packsSpared} unindexed packs younger than the lock stale age left for a later prune`
        : '') +
      (r.refsRemoved ? `, ${r.refsRemoved} orphaned refs files removed` : '') +
      (r.tempFilesRemoved ? `, ${r.tempFilesRemoved} stale temporary files removed (${r.tempBytesRemoved} bytes)` : ''),
  );
  return EXIT.ok;
}

function addRepair(repo: Command): void {
  const repair = repo.command('repair').description('recovery tools for a damaged drive');
  withCommon(repair.command('index'))
    .description('rebuild the index from the packs (takes an exclusive lock); damaged index files are replaced')
    .option('--read-all-packs', 'read every pack trailer, not only those of packs no readable index file lists')
    .action(run('repair index', repairDriveIndex));
}

async function repairDriveIndex(o: Common & { readAllPacks?: boolean }): Promise<number> {
  if (o.drive.length !== 1) throw new UsageError('repair index takes exactly one --drive PATH');
  const [drive] = await drives(o);
  const r = await repairIndex({ drive, readAllPacks: o.readAllPacks });
  const text = [
    ...r.damagedIndexFiles.map((f) => `replaced damaged index file ${f.name}`),
    ...r.packsMissing.map((p) => `dropped pack ${p}: listed in the index but not on the drive`),
    ...r.unreadable.map((p) => `unreadable pack ${p.pack} (left in place): ${p.message}`),
    `${r.packsRead} packs read, ${r.packsKept} kept from the old index, ${r.blobsIndexed} blobs indexed, ` +
      `${r.unreadable.length} packs unreadable; ${r.indexFilesWritten} index files written, ${r.indexFilesRemoved} removed`,
  ].join('\n');
  print(o, r, text);
  if (!o.json && (r.unreadable.length > 0 || r.packsMissing.length > 0)) {
    process.stderr.write(
      `the index of drive ${drive.path} is rebuilt without the packs named above; snapshots using their blobs cannot be fully restored. ` +
        `Run \`baton repo verify --drive ${drive.path}\` to see which.\n`,
    );
  }
  return EXIT.ok;
}

function addKeys(repo: Command): void {
  const key = repo.command('key').description("a drive's keys: passphrases that each open its master key");
  withCommon(key.command('list'))
    .description('list the keys; * marks the one this password opens')
    .action(run('key list', keyList));
  const withNew = (c: Command): Command =>
    c.option('--new-password-file <file>', 'read the new password from this file (default: $BATON_NEW_PASSWORD)');
  withNew(withCommon(key.command('add')))
    .description('add a key for a new password (the drive opens with the current one)')
    .action(run('key add', keyAdd));
  withCommon(key.command('remove'))
    .description('remove a key (not the one in use, not the last)')
    .argument('<id>', 'key ID or unique prefix (`config`: the key made at init)')
    .action(run('key remove', keyRemove));
  withNew(withCommon(key.command('passwd')))
    .description('change the password: add a key for the new one, remove the one in use')
    .action(run('key passwd', keyPasswd));
}

type KeyFlags = Common & { newPasswordFile?: string };

function newPassword(o: KeyFlags): string {
  if (o.newPasswordFile) {
    try {
      return readPasswordFile(o.newPasswordFile);
    } catch (err) {
      throw new UsageError(`cannot read new password file ${o.newPasswordFile}: ${(err as Error).message}`);
    }
  }
  const pw = process.env.BATON_NEW_PASSWORD;
  if (!pw) throw new UsageError('no new password given; set BATON_NEW_PASSWORD or use --new-password-file');
  return pw;
}

async function oneDrive(o: Common, what: string): Promise<Drive> {
  if (o.drive.length !== 1) throw new UsageError(`${what} takes exactly one --drive PATH`);
  return (await drives(o))[0];
}

async function keyList(o: Common): Promise<number> {
  const keys = await listKeys(await oneDrive(o, 'key list'));
  const lines = keys.map(
    (k) =>
      `${k.current ? '*' : ' '} ${k.id === 'config' ? 'config' : k.id.slice(0, 12)}  ${k.created}  ${k.username || '-'}@${k.hostname || '-'}`,
  );
  print(o, keys, lines.join('\n'));
  return EXIT.ok;
}

async function keyAdd(o: KeyFlags): Promise<number> {
  const pw = newPassword(o);
  const id = await addKey(await oneDrive(o, 'key add'), pw);
  print(o, { added: id }, `added key ${id}`);
  return EXIT.ok;
}

async function keyRemove(id: string, o: Common): Promise<number> {
  const removed = await removeKey(await oneDrive(o, 'key remove'), id);
  print(o, { removed }, `removed key ${removed}`);
  return EXIT.ok;
}

async function keyPasswd(o: KeyFlags): Promise<number> {
  const pw = newPassword(o);
  const r = await changePassword(await oneDrive(o, 'key passwd'), pw);
  print(o, r, `added key ${r.added} for the new password, removed key ${r.removed}`);
  return EXIT.ok;
}
