/**
 * A real TLS endpoint in front of a plain Temporal dev server (whose CLI has no TLS flags): a TLS
 * terminator, optionally requiring a client certificate signed by the test CA, with certificates
 * made by openssl: a CA, another CA (the "wrong" one), a server certificate
 * for 127.0.0.1, a client certificate and an expired client certificate.
 */
import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';

export interface TestCertificates {
  dir: string;
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  expiredCert: string;
  expiredKey: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

function selfSignedCa(dir: string, name: string): void {
  openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'].concat(
      ['-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`],
      ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ),
    dir,
  );
}

/** Signs `name`.csr with the CA through `openssl ca`, which (unlike `x509 -req` in OpenSSL 3.0) takes any dates. */
function signWithCa(dir: string, name: string, extensions: string, dates: string[]): void {
  writeFileSync(join(dir, 'index.txt'), '');
  if (!existsSync(join(dir, 'serial'))) writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'serial = $dir/serial',
      'new_certs_dir = $dir/issued',
      'certificate = $dir/ca.crt',
      'private_key = $dir/ca.key',
      'default_md = sha256',
      'policy = any',
      'copy_extensions = none',
      '[any]',
      'commonName = supplied',
      '[server_ext]',
      'basicConstraints = CA:FALSE',
      'subjectAltName = IP:127.0.0.1, DNS:localhost',
      'extendedKeyUsage = serverAuth',
      '[client_ext]',
      'basicConstraints = CA:FALSE',
      'extendedKeyUsage = clientAuth',
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'issued'), { recursive: true });
  openssl(
    ['ca', '-batch', '-config', 'ca.cnf', '-extensions', extensions, '-notext'].concat(dates, [
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.crt`,
    ]),
    dir,
  );
}

function leaf(dir: string, name: string, extensions: string, dates: string[]): void {
  openssl(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    ]),
    dir,
  );
  signWithCa(dir, name, extensions, dates);
}

export function makeTestCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true });
  selfSignedCa(dir, 'ca');
  selfSignedCa(dir, 'other-ca');
  leaf(dir, 'server', 'server_ext', ['-days', '2']);
  leaf(dir, 'client', 'client_ext', ['-days', '2']);
  leaf(dir, 'expired', 'client_ext', ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  const at = (f: string) => join(dir, f);
  return {
    dir,
    ca: at('ca.crt'),
    otherCa: at('other-ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    expiredCert: at('expired.crt'),
    expiredKey: at('expired.key'),
  };
}

export interface TlsTerminator {
  /** 127.0.0.1:<port> where the terminator accepts TLS. */
  address: string;
  /** TLS connections open now (a node process keeps one). */
  openConnections(): Promise<number>;
  stop(): Promise<void>;
}

interface TerminatorSpec {
  serverCert: string;
  serverKey: string;
  ca: string;
  target: string;
  requireClientCert: boolean;
}

/** Serves TLS on a free port of 127.0.0.1 and pipes each connection to the spec's target. */
async function serveTls(spec: TerminatorSpec): Promise<{ port: number; clients: Set<Socket> }> {
  const at = spec.target.lastIndexOf(':');
  const [host, port] = [spec.target.slice(0, at), Number(spec.target.slice(at + 1))];
  const clients = new Set<Socket>();
  const server = createTlsServer(
    {
      cert: readFileSync(spec.serverCert),
      key: readFileSync(spec.serverKey),
      ca: readFileSync(spec.ca),
      requestCert: spec.requireClientCert,
      rejectUnauthorized: spec.requireClientCert,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      clients.add(socket);
      const upstream = connect(port, host);
      for (const s of [socket, upstream]) {
        s.on('error', () => undefined);
        s.on('close', () => {
          clients.delete(socket);
          socket.destroy();
          upstream.destroy();
        });
      }
      socket.pipe(upstream).pipe(socket);
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, clients };
}

/**
 * A TLS terminator in its own process (the test's own event loop stops while `baton` runs through
 * spawnSync) on a free port, forwarding to `target`; `requireClientCert` makes it mTLS (client
 * certificates signed by the test CA and valid today). Node's TLS server (OpenSSL) rather than
 * stunnel: stunnel 5.68 cannot negotiate ALPN, and the SDK's Rust core refuses a TLS server that
 * does not select "h2" (H2NotNegotiated), as Temporal's own server does.
 */
export async function startTlsTerminator(
  certs: TestCertificates,
  target: string,
  requireClientCert: boolean,
): Promise<TlsTerminator> {
  const spec: TerminatorSpec = {
    serverCert: certs.serverCert,
    serverKey: certs.serverKey,
    ca: certs.ca,
    target,
    requireClientCert,
  };
  const child = fork(__filename, [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(request: string) =>
    new Promise<T>((resolve, reject) => {
      child.once('message', (m) => resolve(m as T));
      child.once('exit', (code) => reject(new Error(`the TLS terminator exited (${code})`)));
      if (request) child.send(request);
    });
  const port = await ask<number>('');
  return {
    address: `127.0.0.1:${port}`,
    openConnections: () => ask<number>('count'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (require.main === module) {
  void serveTls(JSON.parse(process.argv[2]) as TerminatorSpec).then(({ port, clients }) => {
    process.on('message', () => process.send?.(clients.size));
    process.send?.(port);
  });
}
