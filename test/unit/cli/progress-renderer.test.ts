/** The CLI's progress renderer with a fake clock and a fake stream: terminal, plain and JSON lines. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ProgressRenderer,
  progressMode,
  statusLine,
  type ProgressMode,
  type ProgressStatus,
} from '../../../src/cli/progress-renderer';

/** A stream that keeps what was written, and a clock the test moves. */
function setup(mode: ProgressMode, opts: { columns?: number; plainEveryMs?: number } = {}) {
  const chunks: string[] = [];
  let now = 1_000_000;
  const out = { write: (c: string) => chunks.push(c), isTTY: mode === 'tty', columns: opts.columns ?? 200 };
  const r = new ProgressRenderer({ out, mode, now: () => now, plainEveryMs: opts.plainEveryMs });
  return {
    r,
    chunks,
    text: () => chunks.join(''),
    tick: (ms: number) => (now += ms),
  };
}

const MiB = 1024 * 1024;

test('the mode: JSON lines with --json, a live line on a terminal, plain lines otherwise', () => {
  assert.equal(progressMode({ write: () => true, isTTY: true }, true), 'json');
  assert.equal(progressMode({ write: () => true, isTTY: true }, false), 'tty');
  assert.equal(progressMode({ write: () => true }, undefined), 'plain');
});

test('a terminal gets one line rewritten in place with \\r and a clear, the summary replaces it', () => {
  const { r, chunks, tick } = setup('tty');
  r.at('node-1', 1);
  for (let i = 1; i <= 5; i++) {
    tick(1000);
    r.update({ bytes: i * MiB, files: i * 10, totalBytes: 10 * MiB, totalFiles: 100 });
  }
  assert.equal(chunks.length, 5);
  for (const c of chunks) {
    assert.ok(c.startsWith('\r\x1b[2K'), JSON.stringify(c));
    assert.ok(!c.includes('\n'), JSON.stringify(c));
  }
  assert.equal(
    chunks[4],
    '\r\x1b[2K50% 5.0 MiB of 10.0 MiB, 50 of 100 files, 1.0 MiB/s, ETA 5 s, on node-1 (attempt 1)',
  );
  r.finish({ state: 'succeeded' }, 'job succeeded');
  assert.deepEqual(chunks.slice(5), ['\r\x1b[2K', 'job succeeded\n']);
});

test('a terminal redraws at most every 250 ms and cuts the line to its width', () => {
  const { r, chunks, tick } = setup('tty', { columns: 20 });
  r.update({ bytes: 1, files: 1 });
  tick(100);
  r.update({ bytes: 2, files: 2 });
  assert.equal(chunks.length, 1);
  tick(200);
  r.update({ bytes: 3, files: 3, totalBytes: 100, totalFiles: 10 });
  assert.equal(chunks.length, 2);
  assert.equal(chunks[1], '\r\x1b[2K3% 3 B of 100 B, 3…');
  assert.equal(chunks[1].length - '\r\x1b[2K'.length, 19);
});

test('a move to another node is said on a line of its own, the live line drawn again under it', () => {
  const { r, chunks, tick } = setup('tty');
  r.at('node-1', 1);
  tick(1000);
  r.update({ bytes: MiB, files: 1 });
  r.at('node-2', 2);
  assert.deepEqual(chunks.slice(1, 3), ['\r\x1b[2K', 'the job moved from node-1 to node-2 (attempt 2)\n']);
  assert.ok(chunks[3].startsWith('\r\x1b[2K1.0 MiB, 1 files'), chunks[3]);
  tick(1000);
  r.update({ bytes: 10, files: 1 });
  assert.match(chunks[4], /on node-2 \(attempt 2\)$/);
  // the same node again with a new attempt (a first attempt number after none is no change)
  r.at('node-2', 3);
  assert.equal(chunks[6], 'attempt 3 started on node-2\n');
});

test('the first attempt’s number arriving is no move; a width of 0 is taken as 80 columns', () => {
  const chunks: string[] = [];
  const r = new ProgressRenderer({ out: { write: (c: string) => chunks.push(c), columns: 0 }, mode: 'tty' });
  r.at('node-1', null);
  r.at('node-1', 1);
  r.update({ bytes: 1, files: 1, totalBytes: 1_000_000_000, totalFiles: 1_000_000_000 });
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0], '\r\x1b[2K0% 1 B of 953.7 MiB, 1 of 1000000000 files, on node-1 (attempt 1)');
});

test('not a terminal: a plain line per interval (none before the first), and the moves', () => {
  const { r, text, tick } = setup('plain', { plainEveryMs: 10_000 });
  r.at('node-1', 1);
  for (let s = 1; s <= 25; s++) {
    tick(1000);
    r.update({ bytes: s * 1000, files: s, totalBytes: 100_000, totalFiles: 100 });
  }
  r.at('node-3', 2);
  r.finish({}, 'done');
  assert.equal(
    text(),
    [
      '10% 9.8 KiB of 97.7 KiB, 10 of 100 files, 1000 B/s, ETA 1 min 30 s, on node-1 (attempt 1)',
      '20% 19.5 KiB of 97.7 KiB, 20 of 100 files, 1000 B/s, ETA 1 min 20 s, on node-1 (attempt 1)',
      'the job moved from node-1 to node-3 (attempt 2)',
      'done',
      '',
    ].join('\n'),
  );
});

test('--json: status lines with restic’s fields, a node_change, then one summary', () => {
  const { r, chunks, tick } = setup('json');
  r.note('started j on node-1', { message_type: 'started', jobId: 'j' });
  r.at('node-1', 1);
  tick(1000);
  r.update({ bytes: 0, files: 0, totalBytes: 4000, totalFiles: 4 });
  tick(1000);
  r.update({ bytes: 1000, files: 1, totalBytes: 4000, totalFiles: 4 });
  r.at('node-2', 2);
  tick(1000);
  r.update({ bytes: 4500, files: 5, totalBytes: 4000, totalFiles: 4 });
  r.finish({ jobId: 'j', state: 'succeeded' }, 'ignored in JSON');
  const lines = chunks.join('').trimEnd().split('\n');
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    parsed.map((p) => p.message_type),
    ['started', 'status', 'status', 'node_change', 'status', 'summary'],
  );
  assert.deepEqual(parsed[2], {
    message_type: 'status',
    seconds_elapsed: 2,
    seconds_remaining: 3,
    percent_done: 0.25,
    bytes_done: 1000,
    total_bytes: 4000,
    files_done: 1,
    total_files: 4,
    bytes_per_second: 1000,
    node: 'node-1',
    attempt: 1,
  });
  assert.deepEqual(parsed[3], { message_type: 'node_change', from: 'node-1', node: 'node-2', attempt: 2 });
  // past the estimate: below 100% until the summary, the rate starts over on the new node
  assert.equal(parsed[4].percent_done, 0.99);
  assert.equal(parsed[4].bytes_per_second, null);
  assert.deepEqual(parsed[5], { message_type: 'summary', jobId: 'j', state: 'succeeded' });
});

test('the ETA follows the recent rate, not the average since the start', () => {
  const { r, chunks, tick } = setup('json');
  let bytes = 0;
  for (let s = 1; s <= 60; s++) {
    tick(1000);
    r.update({ bytes: (bytes += s <= 50 ? 10_000 : 1000), files: s, totalBytes: 1_000_000 });
  }
  const last = JSON.parse(chunks[chunks.length - 1]) as ProgressStatus;
  // 510 kB done; the last 10 s went at 1 kB/s, so 490 kB take 490 s (the average, 8.5 kB/s, would say 58 s)
  assert.equal(last.bytes_per_second, 1000);
  assert.equal(last.seconds_remaining, 490);
});

test('the status line leaves out what is unknown', () => {
  const s: ProgressStatus = {
    message_type: 'status',
    seconds_elapsed: 0,
    seconds_remaining: null,
    percent_done: null,
    bytes_done: 2048,
    total_bytes: null,
    files_done: 3,
    total_files: null,
    bytes_per_second: null,
    node: null,
    attempt: null,
  };
  assert.equal(statusLine(s), '2.0 KiB, 3 files');
});
