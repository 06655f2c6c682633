/**
 * The dev server picks its internal services' ports itself, and a port taken between its pick and
 * its bind makes it exit at startup (CI saw one exit with code 2). startDevServer starts it again,
 * says why, and gives up after three tries with the server's own last words. A stand-in CLI fails
 * its first N starts, then runs the real one.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { freePort, serverAnswers, startDevServer } from '../../src/devtools/dev-server';
import { tempDir } from '../helpers/temp';

const PANIC = 'panic: listen tcp 127.0.0.1:40123: bind: address already in use';

/** A CLI that exits 2 with PANIC on its first `fails` starts, then execs the real one. */
function flakyCli(dir: string, fails: number): { path: string; starts: () => string[] } {
  const real = ensureTemporalCli();
  const count = join(dir, 'starts');
  const args = join(dir, 'args');
  writeFileSync(count, '0');
  writeFileSync(args, '');
  const path = join(dir, 'temporal');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      `if [ "$1" = "--version" ]; then exec '${real}' --version; fi`,
      `n=$(( $(cat '${count}') + 1 )); echo $n > '${count}'; echo "$*" >> '${args}'`,
      `if [ $n -le ${fails} ]; then echo '${PANIC}'; exit 2; fi`,
      `exec '${real}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return { path, starts: () => readFileSync(args, 'utf8').trim().split('\n') };
}

describe('starting the dev server', { timeout: 120_000 }, () => {
  const saved = process.env.TEMPORAL_CLI;
  afterEach(() => {
    if (saved === undefined) delete process.env.TEMPORAL_CLI;
    else process.env.TEMPORAL_CLI = saved;
  });

  test('a server that exits at startup is started again on fresh ports, and says why', async () => {
    const dir = tempDir('baton-devserver-').path;
    const cli = flakyCli(dir, 1);
    process.env.TEMPORAL_CLI = cli.path;
    const said: string[] = [];
    const server = await startDevServer({ dataDir: join(dir, 'data'), headless: true, say: (l) => said.push(l) });
    try {
      assert.equal(cli.starts().length, 2);
      assert.ok(await serverAnswers(server.address));
      const retry = said.find((l) => l.includes('starting it again'));
      assert.ok(retry, said.join('\n'));
      assert.match(retry, /exited with code 2 before it answered, saying: panic: listen tcp .*address already in use/);
    } finally {
      await server.stop();
    }
  });

  test('after three early exits it fails with the server’s last words', async () => {
    const dir = tempDir('baton-devserver-').path;
    const cli = flakyCli(dir, 99);
    process.env.TEMPORAL_CLI = cli.path;
    await assert.rejects(startDevServer({ dataDir: join(dir, 'data'), headless: true }), (err: Error) => {
      assert.match(err.message, /exited with code 2 before it answered, saying: panic: listen tcp/);
      assert.match(err.message, /temporal-server\.log/);
      return true;
    });
    assert.equal(cli.starts().length, 3);
  });

  test('ports the caller chose are kept on every try; ports left to it are picked afresh', async () => {
    const dir = tempDir('baton-devserver-').path;
    const cli = flakyCli(dir, 99);
    process.env.TEMPORAL_CLI = cli.path;
    const [port, uiPort] = [await freePort(), await freePort()];
    await assert.rejects(startDevServer({ dataDir: join(dir, 'data'), port, uiPort }), /code 2/);
    const portsOf = (args: string) => args.match(/--port (\d+) .*--ui-port (\d+)/)?.slice(1);
    assert.deepEqual(
      cli.starts().map(portsOf),
      [1, 2, 3].map(() => [String(port), String(uiPort)]),
    );

    writeFileSync(join(dir, 'args'), '');
    await assert.rejects(startDevServer({ dataDir: join(dir, 'data') }), /code 2/);
    const picked = cli.starts().map(portsOf);
    assert.equal(picked.length, 3);
    assert.equal(new Set(picked.map((p) => p?.[0])).size, 3, `gRPC ports: ${JSON.stringify(picked)}`);
  });
});
