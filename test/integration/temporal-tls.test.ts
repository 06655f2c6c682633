/**
 * Baton over mTLS to a real TLS endpoint: a TLS terminator (test/helpers/tls-terminator.ts) in
 * front of a real Temporal dev server, with certificates openssl made for this test. Three real
 * node processes and the CLI (`baton status`, `baton backup --wait`) work through it, each node on
 * one connection; a wrong CA, a missing client certificate and an expired one are each refused
 * with one line naming the setting to fix, exit 1, and start no workflow.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_APP } from '../../src/demo/demo-files';
import { startNodeProcess, stopNodeProcess, type NodeProcess } from '../../src/demo/node-processes';
import { baton } from '../helpers/cli';
import { summaryLine } from '../helpers/json-lines';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import {
  makeTestCertificates,
  startTlsTerminator,
  type TestCertificates,
  type TlsTerminator,
} from '../helpers/tls-terminator';

/** The demo's config with its temporal block replaced by `temporal`, written beside it as `name`. */
function configWith(c: LocalCluster, name: string, temporal: string): string {
  const file = join(c.dir, name);
  const demo = readFileSync(c.files.configFile, 'utf8');
  writeFileSync(file, demo.replace(/^temporal:\n( {2}.*\n)+/m, `temporal:\n${temporal}`));
  return file;
}

function tlsBlock(address: string, ca: string, cert?: string, key?: string): string {
  const lines = [`  address: ${address}`, '  tls:', `    caFile: ${ca}`];
  if (cert && key) lines.push(`    certFile: ${cert}`, `    keyFile: ${key}`);
  return `${lines.join('\n')}\n`;
}

async function workflowCount(c: LocalCluster): Promise<number> {
  return (await c.client.workflowService.countWorkflowExecutions({ namespace: 'default' })).count?.toNumber() ?? 0;
}

describe('Temporal over mTLS', { timeout: 300_000 }, () => {
  let c: LocalCluster;
  let certs: TestCertificates;
  let mtls: TlsTerminator;
  let good: string;
  const nodes: NodeProcess[] = [];

  before(async () => {
    c = await startLocalCluster({ nodes: false });
    certs = makeTestCertificates(join(c.dir, 'certs'));
    mtls = await startTlsTerminator(certs, c.address, true);
    good = configWith(c, 'mtls.yaml', tlsBlock(mtls.address, certs.ca, certs.clientCert, certs.clientKey));
    for (const n of c.config.plan.nodes) nodes.push(startNodeProcess(n.name, good, c.dir));
  });
  after(async () => {
    await Promise.all(nodes.map((n) => stopNodeProcess(n, c.dir)));
    await mtls?.stop();
    await c?.stop();
  });

  test('node processes and `baton backup --wait` / `baton status` work through mTLS, one connection per node', async () => {
    let status = baton(['status', '--json', '--config', good]);
    for (let i = 0; i < 60 && !/"coordinatorHost": "/.test(status.stdout); i++) {
      await new Promise((r) => setTimeout(r, 500));
      status = baton(['status', '--json', '--config', good]);
    }
    assert.equal(status.code, 0, status.stderr);
    const backup = baton(['backup', DEMO_APP, '--wait', '--json', '--config', good]);
    assert.equal(backup.code, 0, backup.stderr + backup.stdout);
    assert.equal(summaryLine<{ state: string }>(backup.stdout).state, 'succeeded');
    // the CLI's connections have closed; what stays open is each node's one connection
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await mtls.openConnections(), nodes.length);
  });

  test('a wrong CA, a missing client certificate and an expired one are refused in one line; nothing starts', async () => {
    const before = await workflowCount(c);
    const cases = [
      {
        file: configWith(c, 'wrong-ca.yaml', tlsBlock(mtls.address, certs.otherCa, certs.clientCert, certs.clientKey)),
        says: /TLS handshake with Temporal at \S+ failed: certificate signed by unknown authority .*set temporal\.tls\.caFile/,
      },
      {
        file: configWith(c, 'no-cert.yaml', tlsBlock(mtls.address, certs.ca)),
        says: /failed: the server requires a client certificate; set temporal\.tls\.certFile and temporal\.tls\.keyFile/,
      },
      {
        file: configWith(c, 'expired.yaml', tlsBlock(mtls.address, certs.ca, certs.expiredCert, certs.expiredKey)),
        says: /temporal\.tls\.certFile: the client certificate \S+expired\.crt expired on .*2020 GMT; renew it/,
      },
    ];
    for (const { file, says } of cases) {
      for (const args of [
        ['backup', DEMO_APP, '--wait'],
        ['status'],
        ['node', '--name', c.config.plan.nodes[0].name],
      ]) {
        const r = baton([...args, '--config', file]);
        assert.equal(r.code, 1, `${args.join(' ')} with ${file}: ${r.stderr}`);
        const lines = r.stderr.split('\n').filter((l) => l.startsWith('baton: '));
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0], says);
      }
    }
    assert.equal(await workflowCount(c), before);
  });
});
