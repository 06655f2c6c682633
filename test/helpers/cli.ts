/** Runs the real `baton` command (bin/baton.js) as a child process, as a user would. */
import { spawnSync } from 'node:child_process';
import { BATON_BIN } from '../../src/demo/node-processes';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function baton(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [BATON_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BATON_LOG_PRETTY: '0', ...opts.env },
    input: opts.input,
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
