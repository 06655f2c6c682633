/**
 * The state of a restore or verify workflow and what it shows: the live view (`baton restore
 * --wait`, queries), the Web UI's current details, and the failure messages. Free of Temporal, so
 * unit tests drive it directly; restore-job.ts and verify-job.ts do the awaiting. JSON-safe throughout.
 */
import { formatBytes, shortId } from '../model/format';
import { liveProgressHint } from '../model/heartbeat';
import type {
  OperationProgress,
  OperationResult,
  OperationStart,
  OperationView,
  RestoreOutcome,
  SnapshotSource,
  VerifyFinding,
  VerifyOutcome,
} from '../model/operations';

/**
 * Why a verify failed, in one line: how many errors, every damaged pack by ID, and the first
 * findings with the file they hold data of.
 */
export function verifyFailureMessage(outcome: VerifyOutcome, shown = 3): string {
  const packs = [...new Set(outcome.errors.map((e) => e.pack).filter((p): p is string => p !== undefined))];
  const first = outcome.errors.slice(0, shown).map((e: VerifyFinding) => e.message);
  const more = outcome.errorCount > first.length ? `; and ${outcome.errorCount - first.length} more` : '';
  return (
    `verify of drive ${outcome.drive} on ${outcome.node} found ${outcome.errorCount} ` +
    `error${outcome.errorCount === 1 ? '' : 's'}` +
    (packs.length > 0 ? ` in pack${packs.length === 1 ? '' : 's'} ${packs.join(', ')}` : '') +
    `: ${first.join('; ')}${more}. Snapshots using these packs cannot be fully restored: back the affected apps ` +
    'up again, then `baton repo forget` the damaged snapshots and `baton repo prune`'
  );
}

export class OperationTracker {
  private readonly v: OperationView;
  /** Progress came by signal (a workflow started before progress moved to heartbeat details). */
  private signalled = false;

  constructor(start: OperationStart) {
    this.v = {
      jobId: start.jobId,
      kind: start.kind,
      state: 'pending',
      accepted: false,
      app: start.app ?? null,
      node: start.node ?? null,
      drive: start.drive ?? null,
      snapshotId: null,
      target: start.target ?? null,
      subtree: start.subtree ?? null,
      readData: start.readData ?? false,
      progress: null,
    };
  }

  view(): OperationView {
    return this.v;
  }

  /** The restore's source and node are known (still pending: the node checks the target next). */
  located(node: string, source: SnapshotSource): void {
    this.v.node = node;
    this.v.snapshotId = source.snapshotId;
    this.v.drive = source.drive;
    this.v.progress = { files: 0, bytes: 0, totalFiles: source.files, totalBytes: source.bytes, currentPath: null };
  }

  /** The request passed its checks; the node is working on it. */
  running(): void {
    this.v.state = 'running';
    this.v.accepted = true;
  }

  progress(p: OperationProgress): void {
    if (this.v.state !== 'running') return;
    this.v.progress = p;
    this.signalled = true;
  }

  restored(outcome: RestoreOutcome): void {
    this.v.state = 'succeeded';
    this.v.restore = outcome;
    this.v.progress = {
      files: outcome.files,
      bytes: outcome.bytes,
      totalFiles: this.v.progress?.totalFiles ?? outcome.files,
      totalBytes: this.v.progress?.totalBytes ?? outcome.bytes,
      currentPath: null,
    };
  }

  /** A verify ran to its end; it succeeded only if it found no errors. */
  verified(outcome: VerifyOutcome): void {
    this.v.verify = outcome;
    this.v.progress = { files: 0, bytes: outcome.bytesRead, totalFiles: 0, totalBytes: 0, currentPath: null };
    if (outcome.ok) {
      this.v.state = 'succeeded';
    } else {
      this.v.state = 'failed';
      this.v.error = verifyFailureMessage(outcome);
    }
  }

  failed(error: string): void {
    this.v.state = 'failed';
    this.v.error = error;
  }

  cancelled(): void {
    this.v.state = 'cancelled';
    this.v.error = `${this.v.kind} cancelled on request`;
  }

  result(): OperationResult {
    const v = this.v;
    return {
      jobId: v.jobId,
      kind: v.kind,
      state: v.state,
      node: v.node,
      app: v.app,
      drive: v.drive,
      ...(v.restore ? { restore: v.restore } : {}),
      ...(v.verify ? { verify: v.verify } : {}),
      ...(v.error !== undefined ? { error: v.error } : {}),
    };
  }

  /** The terminal state the catalog records (a still-running view counts as failed). */
  endState(): 'succeeded' | 'failed' | 'cancelled' {
    const s = this.v.state;
    return s === 'succeeded' || s === 'cancelled' ? s : 'failed';
  }

  /** The catalog's counts for the job's row: files and bytes restored, or packs and bytes read. */
  counts(): { files: number | null; bytes: number | null } {
    if (this.v.restore) return { files: this.v.restore.files, bytes: this.v.restore.bytes };
    if (this.v.verify) return { files: null, bytes: this.v.verify.bytesRead };
    return { files: this.v.progress?.files ?? null, bytes: this.v.progress?.bytes ?? null };
  }

  /** One line for the timeline: what ended and how, with counts. */
  endMessage(): string {
    const v = this.v;
    if (v.kind === 'restore') {
      if (v.state === 'succeeded' && v.restore) {
        const r = v.restore;
        return (
          `restore of ${v.app} succeeded: ${r.files} files, ${r.dirs} directories, ${r.bytes} bytes of snapshot ` +
          `${shortId(r.snapshotId)} into ${r.target} on ${r.node} in ${r.durationMs} ms` +
          (r.skipped.length > 0 ? ` (${r.skipped.length} special files skipped)` : '') +
          (r.setuidStripped !== undefined ? ` (${r.setuidStripped} without setuid/setgid)` : '')
        );
      }
      const p = v.progress;
      return `restore of ${v.app} ${v.state} after ${p?.files ?? 0} files, ${p?.bytes ?? 0} bytes: ${v.error ?? ''}`;
    }
    if (v.verify && v.state === 'succeeded') {
      const r = v.verify;
      return (
        `verify of drive ${r.drive} found no errors: ${r.snapshots} snapshots, ${r.packs} packs, ${r.blobs} blobs` +
        (r.readData ? `, ${r.bytesRead} bytes read` : ' (structure only)') +
        ` in ${r.durationMs} ms`
      );
    }
    return `verify of drive ${v.drive} ${v.state}: ${v.error ?? ''}`;
  }

  /**
   * The Web UI's current details (markdown): what runs where; the live progress is in the running
   * activity's heartbeat details (only an older workflow, whose activity signalled, shows it here).
   */
  details(): string {
    const v = this.v;
    const p = v.progress;
    if (v.kind === 'restore') {
      const what = `restore of **${v.app}**${v.snapshotId ? ` snapshot \`${shortId(v.snapshotId)}\`` : ''}`;
      const where = `${v.drive ? ` from drive ${v.drive}` : ''}${v.node ? ` on ${v.node}` : ''} into \`${v.target}\``;
      switch (v.state) {
        case 'pending':
          return `${what}: checking the snapshot, the node and the target`;
        case 'running': {
          if (!this.signalled) {
            const size = p && p.totalBytes > 0 ? ` (${p.totalFiles} files, ${formatBytes(p.totalBytes)})` : '';
            return `${what}${size}${where}: running\n\n${liveProgressHint('restoreSnapshot')}`;
          }
          if (!p) return `${what}${where}: starting`;
          const pct = p.totalBytes > 0 ? ` (${Math.min(100, Math.floor((100 * p.bytes) / p.totalBytes))}%)` : '';
          const of = (n: number, total: number, f: (x: number) => string) =>
            total > 0 ? `${f(n)} of ${f(total)}` : f(n);
          return (
            `${what}${where}: ${of(p.files, p.totalFiles, String)} files, ` +
            `${of(p.bytes, p.totalBytes, formatBytes)}${pct}` +
            (p.currentPath ? `\n\nlast file: \`${p.currentPath}\`` : '')
          );
        }
        case 'succeeded':
          return v.restore
            ? `restored ${v.restore.files} files, ${v.restore.dirs} directories, ${formatBytes(v.restore.bytes)}${where}`
            : `${what}: succeeded`;
        default:
          return `${what}${where}: ${v.state}: ${v.error ?? ''}`;
      }
    }
    const what = `verify of drive **${v.drive}**${v.node ? ` on ${v.node}` : ''}${v.readData ? ' (reading all data)' : ' (structure)'}`;
    switch (v.state) {
      case 'pending':
        return `${what}: starting`;
      case 'running':
        if (!this.signalled) return `${what}: running\n\n${liveProgressHint('verifyDrive')}`;
        return `${what}: ${p ? `${formatBytes(p.bytes)} read` : 'checking the structure'}`;
      case 'succeeded':
        return v.verify
          ? `${what}: no errors in ${v.verify.snapshots} snapshots, ${v.verify.packs} packs, ${v.verify.blobs} blobs` +
              (v.readData ? `, ${formatBytes(v.verify.bytesRead)} read` : '')
          : `${what}: no errors`;
      default:
        return `${what}: ${v.state}: ${v.error ?? ''}`;
    }
  }
}
