/**
 * How the CLI shows a running job (`baton backup|restore|verify --wait`, `baton repo backup|restore`):
 * on a terminal one live line rewritten in place (`\r`, then clear to the end of the line); with
 * `--json` JSON lines as restic writes them (`status` messages, then one `summary`); otherwise a
 * plain line every `plainEveryMs` (the first one after that long). Any mode says so on a line of its own when the job moves to
 * another node. The ETA comes from the rate over the last `windowMs` (RateWindow), not the average
 * since the start. Pure: the clock and the stream are passed in (docs/cli.md).
 */
import { formatBytes } from '../model/format';
import { formatSeconds } from '../model/heartbeat';
import { RateWindow } from './rate-window';

/** What a viewer knows of a running job at one moment. Totals: 0 or null when unknown. */
export interface ProgressSample {
  bytes: number;
  files: number;
  totalBytes?: number | null;
  totalFiles?: number | null;
}

/** Where the output goes: process.stdout, or a fake in tests. */
export interface ProgressOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type ProgressMode = 'tty' | 'plain' | 'json';

export interface RendererOptions {
  out: ProgressOutput;
  mode: ProgressMode;
  /** The clock, in ms. */
  now?: () => number;
  /** Plain mode: at most one line this often. */
  plainEveryMs?: number;
  /** Terminal: at most one redraw this often; JSON: at most one status line this often. */
  liveEveryMs?: number;
  /** The span the rate (and so the ETA) is smoothed over. */
  windowMs?: number;
}

/** JSON lines for --json, a live line on a terminal, plain lines otherwise. */
export function progressMode(out: ProgressOutput, json: boolean | undefined): ProgressMode {
  return json ? 'json' : out.isTTY ? 'tty' : 'plain';
}

const CLEAR_LINE = '\r\x1b[2K';

export class ProgressRenderer {
  private readonly now: () => number;
  private readonly rate: RateWindow;
  private readonly startedAt: number;
  private lastShown: number;
  private drawn = '';
  private where: { node: string; attempt: number | null } | null = null;

  constructor(private readonly opts: RendererOptions) {
    this.now = opts.now ?? Date.now;
    this.rate = new RateWindow(opts.windowMs ?? 10_000);
    this.startedAt = this.now();
    // plain lines are periodic from the start: a short job prints only its summary, so a script
    // reading a command's last line (the snapshot ID) reads the same as before
    this.lastShown = opts.mode === 'plain' ? this.startedAt : -Infinity;
  }

  /**
   * Where the job runs now; a change after the first call is said on its own line (and in JSON as
   * a `node_change` message), and the rate starts over: the new attempt's counters are its own.
   */
  at(node: string | null, attempt: number | null = null): void {
    if (node === null) return;
    const before = this.where;
    this.where = { node, attempt };
    // the first attempt's number arriving (none before it starts) is no change
    const sameAttempt = before?.attempt === attempt || before?.attempt === null;
    if (before === null || (before.node === node && sameAttempt)) return;
    this.rate.reset();
    const text =
      before.node === node
        ? `attempt ${attempt ?? '?'} started on ${node}`
        : `the job moved from ${before.node} to ${node}${attempt !== null ? ` (attempt ${attempt})` : ''}`;
    this.note(text, { message_type: 'node_change', from: before.node, node, attempt });
  }

  /** The job's counters now; shown when the mode's interval has passed. */
  update(sample: ProgressSample): void {
    const t = this.now();
    this.rate.add(t, sample.bytes);
    const every = this.opts.mode === 'plain' ? (this.opts.plainEveryMs ?? 10_000) : (this.opts.liveEveryMs ?? 250);
    if (t - this.lastShown < every) return;
    this.lastShown = t;
    const status = this.status(sample, t);
    if (this.opts.mode === 'json') this.opts.out.write(`${JSON.stringify(status)}\n`);
    else if (this.opts.mode === 'plain') this.opts.out.write(`${statusLine(status)}\n`);
    else this.draw(statusLine(status));
  }

  /** A line of its own (JSON: `json`), above the live line, which is drawn again under it. */
  note(text: string, json: Record<string, unknown>): void {
    if (this.opts.mode === 'json') {
      this.opts.out.write(`${JSON.stringify(json)}\n`);
      return;
    }
    const live = this.drawn;
    this.clear();
    this.opts.out.write(`${text}\n`);
    if (live) this.draw(live);
  }

  /** The end: the live line goes, then the summary (JSON: `{"message_type":"summary", ...}`). */
  finish(summary: Record<string, unknown>, text: string | null): void {
    this.clear();
    if (this.opts.mode === 'json') this.opts.out.write(`${JSON.stringify({ message_type: 'summary', ...summary })}\n`);
    else if (text !== null) this.opts.out.write(`${text}\n`);
  }

  /** Takes the live line off the terminal (before other output, or on an interrupt). */
  clear(): void {
    if (this.drawn) this.opts.out.write(CLEAR_LINE);
    this.drawn = '';
  }

  private draw(line: string): void {
    // a terminal of unknown width (0 under some pseudo-terminals) is taken as 80 columns
    const width = (this.opts.out.columns || 80) - 1;
    const fitted = line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
    this.opts.out.write(`${CLEAR_LINE}${fitted}`);
    this.drawn = fitted;
  }

  private status(s: ProgressSample, t: number): ProgressStatus {
    const rate = this.rate.rate();
    const total = s.totalBytes ?? 0;
    // 100% is for the summary: a backup's total is an estimate (the previous snapshot's size)
    const percent = total > 0 ? Math.min(0.99, s.bytes / total) : null;
    const left = total > s.bytes && rate !== null && rate > 0 ? (total - s.bytes) / rate : null;
    return {
      message_type: 'status',
      seconds_elapsed: Math.round((t - this.startedAt) / 1000),
      seconds_remaining: left === null ? null : Math.round(left),
      percent_done: percent,
      bytes_done: s.bytes,
      total_bytes: total > 0 ? total : null,
      files_done: s.files,
      total_files: (s.totalFiles ?? 0) > 0 ? (s.totalFiles as number) : null,
      bytes_per_second: rate === null ? null : Math.round(rate),
      node: this.where?.node ?? null,
      attempt: this.where?.attempt ?? null,
    };
  }
}

/** A `status` JSON line: restic's field names, plus where the job runs. */
export interface ProgressStatus {
  message_type: 'status';
  seconds_elapsed: number;
  seconds_remaining: number | null;
  /** 0 to 0.99 while running; null when the total is unknown. */
  percent_done: number | null;
  bytes_done: number;
  total_bytes: number | null;
  files_done: number;
  total_files: number | null;
  bytes_per_second: number | null;
  node: string | null;
  attempt: number | null;
}

/** `42% 3.2 MiB of 7.5 MiB, 51 of 120 files, 1.2 MiB/s, ETA 36 s, on node-1 (attempt 1)`. */
export function statusLine(s: ProgressStatus): string {
  const parts = [
    `${s.percent_done !== null ? `${Math.floor(s.percent_done * 100)}% ` : ''}` +
      `${formatBytes(s.bytes_done)}${s.total_bytes !== null ? ` of ${formatBytes(s.total_bytes)}` : ''}`,
    `${s.files_done}${s.total_files !== null ? ` of ${s.total_files}` : ''} files`,
  ];
  if (s.bytes_per_second !== null) parts.push(`${formatBytes(s.bytes_per_second)}/s`);
  if (s.seconds_remaining !== null) parts.push(`ETA ${formatSeconds(s.seconds_remaining)}`);
  if (s.node !== null) parts.push(`on ${s.node}${s.attempt !== null ? ` (attempt ${s.attempt})` : ''}`);
  return parts.join(', ');
}
