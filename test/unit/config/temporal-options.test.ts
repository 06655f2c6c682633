import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { temporalConnectOptions } from '../../../src/config/temporal-options';
import type { TemporalSettings, TemporalTls } from '../../../src/config/temporal-settings';
import { UserError } from '../../../src/model/errors';
import { tempDir } from '../../helpers/temp';
import { makeTestCertificates, type TestCertificates } from '../../helpers/tls-terminator';

let certs: TestCertificates;
before(() => {
  certs = makeTestCertificates(join(tempDir().path, 'certs'));
});

const file = (setting: string, path: string) => ({ setting: `temporal.tls.${setting}`, path });

function settings(tls: TemporalTls | null, extra: Partial<TemporalSettings> = {}): TemporalSettings {
  return { address: '127.0.0.1:7233', namespace: 'default', tls, ...extra };
}

function refused(s: TemporalSettings, message: RegExp): void {
  assert.throws(
    () => temporalConnectOptions(s, '/etc/baton/baton.yaml'),
    (err: unknown) => err instanceof UserError && !err.message.includes('\n') && message.test(err.message),
  );
}

test('reads the CA, the client certificate and key into the options both connections take', () => {
  const options = temporalConnectOptions(
    settings({
      ca: file('caFile', certs.ca),
      cert: file('certFile', certs.clientCert),
      key: file('keyFile', certs.clientKey),
      serverName: 'temporal.internal',
    }),
    '/b.yaml',
  );
  assert.equal(options.address, '127.0.0.1:7233');
  assert.ok(options.tls);
  assert.equal(options.tls.serverNameOverride, 'temporal.internal');
  assert.match(String(options.tls.serverRootCACertificate), /BEGIN CERTIFICATE/);
  assert.match(String(options.tls.clientCertPair?.key), /PRIVATE KEY/);
  assert.equal(temporalConnectOptions(settings(null), '/b.yaml').tls, false);
});

test('an unreadable file, a file that is not PEM, a lone certificate: one line naming the setting and the fix', () => {
  refused(
    settings({ ca: file('caFile', '/nonexistent/ca.pem') }),
    /^\/etc\/baton\/baton\.yaml: temporal\.tls\.caFile: the CA certificate \/nonexistent\/ca\.pem cannot be read \(ENOENT\); fix the path/,
  );
  refused(settings({ ca: file('caFile', certs.clientKey) }), /temporal\.tls\.caFile: \S+ is not a PEM certificate/);
  refused(
    settings({ cert: file('certFile', certs.clientCert) }),
    /temporal\.tls\.certFile is set without temporal\.tls\.keyFile; a client certificate needs both/,
  );
  refused(
    settings({ cert: file('certFile', certs.clientCert), key: file('keyFile', certs.expiredKey) }),
    /temporal\.tls\.keyFile does not match temporal\.tls\.certFile; give the key the certificate was made for/,
  );
});

test('an expired client certificate is refused before any connection, with its date', () => {
  refused(
    settings({ cert: file('certFile', certs.expiredCert), key: file('keyFile', certs.expiredKey) }),
    /temporal\.tls\.certFile: the client certificate \S+expired\.crt expired on Jan {2}2 00:00:00 2020 GMT; renew it/,
  );
  // a certificate valid today is refused on a host whose clock is years ahead: the check uses `now`
  assert.throws(
    () =>
      temporalConnectOptions(
        settings({ cert: file('certFile', certs.clientCert), key: file('keyFile', certs.clientKey) }),
        '/b.yaml',
        new Date(Date.now() + 10 * 86400_000),
      ),
    /expired on/,
  );
});

test('the API key: trimmed from its file, read from its variable; missing or empty is refused', () => {
  const dir = tempDir().path;
  writeFileSync(join(dir, 'api.key'), 'k-from-file\n');
  writeFileSync(join(dir, 'empty.key'), '\n');
  const fromFile = temporalConnectOptions(
    settings(null, { apiKey: { setting: 'temporal.apiKeyFile', path: join(dir, 'api.key') } }),
    '/b.yaml',
  );
  assert.equal(fromFile.apiKey, 'k-from-file');
  process.env.BATON_TEST_API_KEY = 'k-from-env';
  const fromEnv = temporalConnectOptions(
    settings(null, { apiKey: { setting: 'temporal.apiKeyEnv', env: 'BATON_TEST_API_KEY' } }),
    '/b.yaml',
  );
  assert.equal(fromEnv.apiKey, 'k-from-env');
  refused(
    settings(null, { apiKey: { setting: 'temporal.apiKeyEnv', env: 'BATON_TEST_NO_SUCH_KEY' } }),
    /temporal\.apiKeyEnv: BATON_TEST_NO_SUCH_KEY is not set; export it with the API key/,
  );
  refused(
    settings(null, { apiKey: { setting: 'temporal.apiKeyFile', path: join(dir, 'empty.key') } }),
    /temporal\.apiKeyFile: the API key is empty/,
  );
});
