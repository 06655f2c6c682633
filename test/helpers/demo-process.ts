/**
 * `baton demo` as an operator runs it, in its own process, for the tests that drive a whole demo
 * cluster from outside (drills, frozen nodes, the status page, the client's examples): started in a
 * fresh directory with free ports, waited on until its first backup succeeded, and stopped with
 * Ctrl-C (SIGINT), which stops what it started; SIGKILL would leave its dev server and node
 * processes running, so it is only the fallback after 30 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BATON_BIN } from '../../src/demo/node-processes';

export class DemoProcess {
  /** The demo's directory (`--dir`): baton.yaml, the apps, the drives, the cluster map. */
  readonly dir: string;
  readonly configFile: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  private out = '';

  /** Spawns `baton demo --dir <fresh> --port 0 --ui-port 0 --metrics-port 0 ...extraArgs`. */
  constructor(prefix: string, extraArgs: string[] = []) {
    this.dir = join(mkdtempSync(join(tmpdir(), `baton-${prefix}-`)), '.baton');
    this.configFile = join(this.dir, 'baton.yaml');
    const args = ['demo', '--dir', this.dir, '--port', '0', '--ui-port', '0', '--metrics-port', '0', ...extraArgs];
    this.child = spawn(process.execPath, [BATON_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  /** Everything the demo printed so far, stdout and stderr interleaved. */
  get output(): string {
    return this.out;
  }

  /** Waits until the output matches `pattern`; throws with the output if the demo exits or time runs out. */
  async waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.out)) {
      if (this.child.exitCode !== null) throw new Error(`baton demo exited early:\n${this.out}`);
      if (Date.now() > deadline)
        throw new Error(`baton demo printed no ${pattern} within ${timeoutMs} ms:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Waits for the demo's first successful backup, the point where its cluster is in use. */
  firstBackup(): Promise<void> {
    return this.waitFor(/backup succeeded/);
  }

  /** Ctrl-C, as an operator stops it; SIGKILL only if it has not exited 30 s later. Resolves with the exit code. */
  async interrupt(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }

  /** Stops the demo if it still runs and removes its directory. */
  async stop(): Promise<void> {
    await this.interrupt();
    rmSync(dirname(this.dir), { recursive: true, force: true });
  }
}
