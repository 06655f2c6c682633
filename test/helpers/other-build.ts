/**
 * Another build of Baton beside this checkout's, for upgrade tests: a copy of the built CLI (bin/,
 * dist/, package.json; node_modules and the native modules linked) whose prebuilt workflow bundle is made from other
 * workflow sources, e.g. a fixture that changes the coordinator. Its node processes are real
 * `baton node` processes loading that bundle, as a node of a new release would.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { NodeProcess } from '../../src/demo/node-processes';

const ROOT = resolve(__dirname, '..', '..', '..');

export interface OtherBuild {
  /** its bin/baton.js */
  bin: string;
  /** Starts `baton node --name <node>` of this build; its log is <runDir>/logs/<node>.log. */
  startNode(node: string, configFile: string, runDir: string): NodeProcess;
}

/** Copies the built CLI into `dir` and replaces its workflow bundle with one of `workflowsPath`. */
export async function otherBuild(dir: string, workflowsPath: string): Promise<OtherBuild> {
  mkdirSync(dir, { recursive: true });
  for (const part of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  for (const built of ['node_modules', 'native']) symlinkSync(join(ROOT, built), join(dir, built));
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  writeFileSync(join(dir, 'dist', 'workflow-bundle.js'), code);
  const bin = join(dir, 'bin', 'baton.js');
  return {
    bin,
    startNode(node, configFile, runDir) {
      mkdirSync(join(runDir, 'logs'), { recursive: true });
      const logFile = join(runDir, 'logs', `${node}.log`);
      const out = openSync(logFile, 'a');
      const child = spawn(process.execPath, [bin, 'node', '--name', node, '--config', configFile], {
        stdio: ['ignore', out, out],
        env: { ...process.env, BATON_LOG_PRETTY: '0' },
      });
      return { node, child, logFile };
    },
  };
}
