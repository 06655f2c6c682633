/**
 * Real `baton repo` processes for the lock race tests: started in the background, signalled
 * (SIGSTOP, SIGCONT, SIGKILL) and awaited; and small waits on a drive's files.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BATON_BIN } from '../../src/demo/node-processes';
import { PASSWORD } from './engine';

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<Ran>;
}

/** Starts `baton repo <args>` with the test drives' password and the given lock stale age (seconds). */
export function startRepo(args: string[], staleSeconds: number): Running {
  const child = spawn(process.execPath, [BATON_BIN, 'repo', ...args], {
    env: {
      ...process.env,
      BATON_PASSWORD: PASSWORD,
      BATON_LOCK_STALE_SECONDS: String(staleSeconds),
      BATON_LOG_PRETTY: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Ran>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

export function runRepo(args: string[], staleSeconds: number): Promise<Ran> {
  return startRepo(args, staleSeconds).done;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 50 ms until it holds; fails after `ms`. */
export async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Names in a drive's catalog directory (index, snapshots, locks), temp files left out. */
export function catalog(drive: string, dir: string): string[] {
  const p = join(drive, dir);
  return existsSync(p) ? readdirSync(p).filter((n) => !n.includes('.tmp-')) : [];
}

/** Pack files under a directory drive's data/. */
export function packFiles(drive: string): string[] {
  const data = join(drive, 'data');
  if (!existsSync(data)) return [];
  return readdirSync(data).flatMap((sub) => readdirSync(join(data, sub)).filter((n) => /^[0-9a-f]{64}$/.test(n)));
}
