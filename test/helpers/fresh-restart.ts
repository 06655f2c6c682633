/**
 * A node process that cannot see other nodes' drives, for the fresh-restart tests: it runs in its
 * own mount namespace (`unshare -m`, root only) where an empty tmpfs covers each hidden drive
 * directory, as on a host the SAN LUN is not presented to. The other processes, and the test
 * itself, still see the drives; the namespace goes with the process.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { BATON_BIN, type NodeProcess } from '../../src/demo/node-processes';

/** Starts `baton node --name <node>` with empty directories mounted over `hiddenDirs`. */
export function startNodeWithoutDrives(
  node: string,
  configFile: string,
  runDir: string,
  hiddenDirs: string[],
): NodeProcess {
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const logFile = join(runDir, 'logs', `${node}.log`);
  const out = openSync(logFile, 'a');
  // sh mounts, then execs node in its place: the child's pid is the node process's, so signals reach it
  const mounts = hiddenDirs.map((_, i) => `mount -t tmpfs hidden "$${i + 1}"`).join(' && ');
  const script = `${mounts} && shift ${hiddenDirs.length} && exec "$@"`;
  const child = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      ...hiddenDirs,
      process.execPath,
      BATON_BIN,
      'node',
      '--name',
      node,
      '--config',
      configFile,
    ],
    { stdio: ['ignore', out, out], env: { ...process.env, BATON_LOG_PRETTY: '0' } },
  );
  return { node, child, logFile };
}
