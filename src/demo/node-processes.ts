/** Starts and stops the node processes of a local cluster (`baton node --name ...`), one OS process each. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pidFileIn } from './cluster-control';

/** bin/baton.js, the CLI entry point every node process runs. */
export const BATON_BIN = resolve(__dirname, '..', '..', '..', 'bin', 'baton.js');

export interface NodeProcess {
  node: string;
  child: ChildProcess;
  logFile: string;
}

/** Starts `baton node --name <node>` with `extraArgs` after it (e.g. `--metrics-listen HOST:PORT`). */
export function startNodeProcess(
  node: string,
  configFile: string,
  runDir: string,
  extraArgs: string[] = [],
): NodeProcess {
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const logFile = join(runDir, 'logs', `${node}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [BATON_BIN, 'node', '--name', node, '--config', configFile, ...extraArgs], {
    stdio: ['ignore', out, out],
    env: { ...process.env, BATON_LOG_PRETTY: '0' },
  });
  writeFileSync(pidFileIn(runDir, node), `${child.pid}\n`);
  return { node, child, logFile };
}

/**
 * Stops a node gracefully (SIGTERM), then forcefully after `graceMs`. Resolves with the exit code,
 * 0 when the SIGTERM itself ended it.
 */
export async function stopNodeProcess(p: NodeProcess, runDir: string, graceMs = 15_000): Promise<number | null> {
  rmSync(pidFileIn(runDir, p.node), { force: true });
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  // A process still starting has no SIGTERM handler yet and dies of the signal: stopped as asked.
  const exited = new Promise<number | null>((r) =>
    p.child.once('exit', (code, signal) => r(signal === 'SIGTERM' ? 0 : code)),
  );
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
