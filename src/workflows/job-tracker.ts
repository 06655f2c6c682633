/**
 * A backup job's state as its workflow sees it: attempt, progress, outcome. Pure, so unit tests
 * drive it; the workflow turns `details()` into the Web UI's current details.
 */
import type { JobView } from './messages';
import type { BackupJobInput, BackupOutcome, BackupProgress } from './types';

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export class JobTracker {
  private view: JobView;

  constructor(input: BackupJobInput) {
    this.view = {
      jobId: input.jobId,
      app: input.app.name,
      node: input.node,
      drive: input.drive.name,
      attempt: 1,
      state: 'pending',
      progress: null,
    };
  }

  get(): JobView {
    return this.view;
  }

  running(): void {
    this.view.state = 'running';
  }

  /** Progress only moves forward: a late or replayed report for an older position is dropped. */
  progress(p: BackupProgress): void {
    const current = this.view.progress;
    if (current && (p.bytes < current.bytes || p.files < current.files)) return;
    this.view.progress = p;
  }

  succeeded(outcome: BackupOutcome): void {
    this.view.state = 'succeeded';
    this.view.outcome = outcome;
  }

  failed(error: string): void {
    this.view.state = 'failed';
    this.view.error = error;
  }

  /** Markdown for the Web UI's "current details". */
  details(): string {
    const v = this.view;
    const lines = [
      `**${v.state}** backup of \`${v.app}\` on \`${v.node}\` to drive \`${v.drive}\`, attempt ${v.attempt}`,
    ];
    const p = v.progress;
    if (p) {
      const pct = p.totalBytes > 0 ? Math.floor((100 * p.bytes) / p.totalBytes) : 100;
      lines.push(
        `progress: ${p.files}/${p.totalFiles} files, ${formatBytes(p.bytes)}/${formatBytes(p.totalBytes)} (${pct}%)`,
      );
      lines.push(`last checkpoint: ${p.checkpointAt ?? 'none yet'}${p.lastPath ? ` at \`${p.lastPath}\`` : ''}`);
    }
    if (v.outcome)
      lines.push(`done: ${v.outcome.files} files, ${formatBytes(v.outcome.bytes)} at ${v.outcome.location}`);
    if (v.error) lines.push(`error: ${v.error}`);
    return lines.join('\n\n');
  }
}
