import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, configFromObject } from '../../../src/config/load';
import { tempDir } from '../../helpers/temp';

function base(temporal?: Record<string, unknown>): Record<string, unknown> {
  return {
    cluster: 'prod',
    ...(temporal ? { temporal } : {}),
    nodes: [{ name: 'n1' }],
    drives: [{ name: 'd1', node: 'n1', path: '/san/d1' }],
    apps: [{ name: 'db', paths: ['/data/db'] }],
  };
}

/** An environment with no Temporal profile file (HOME and XDG_CONFIG_HOME point at an empty dir). */
function env(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = tempDir().path;
  return { HOME: home, XDG_CONFIG_HOME: home, ...vars };
}

test('without baton.yaml keys or environment: plain TCP to 127.0.0.1:7233, namespace default', () => {
  const t = configFromObject(base(), '/etc/baton/baton.yaml', '/etc/baton', env()).temporal;
  assert.deepEqual(t, { address: '127.0.0.1:7233', namespace: 'default', tls: null });
});

test('TEMPORAL_* variables fill the keys baton.yaml leaves unset; baton.yaml wins where it sets one', () => {
  const vars = env({
    TEMPORAL_ADDRESS: 'temporal.example:7233',
    TEMPORAL_NAMESPACE: 'prod-ns',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/etc/pki/env-ca.pem',
    TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/pki/env-client.pem',
    TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/pki/env-client.key',
    TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
  });
  const fromEnv = configFromObject(base(), '/etc/baton/baton.yaml', '/etc/baton', vars).temporal;
  assert.equal(fromEnv.address, 'temporal.example:7233');
  assert.equal(fromEnv.namespace, 'prod-ns');
  assert.deepEqual(fromEnv.tls, {
    ca: { setting: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', path: '/etc/pki/env-ca.pem' },
    cert: { setting: 'TEMPORAL_TLS_CLIENT_CERT_PATH', path: '/etc/pki/env-client.pem' },
    key: { setting: 'TEMPORAL_TLS_CLIENT_KEY_PATH', path: '/etc/pki/env-client.key' },
    serverName: 'temporal.internal',
  });

  const yaml = { address: 'yaml.example:7233', tls: { caFile: 'pki/ca.pem' } };
  const mixed = configFromObject(base(yaml), '/etc/baton/baton.yaml', '/etc/baton', vars).temporal;
  assert.equal(mixed.address, 'yaml.example:7233');
  assert.equal(mixed.namespace, 'prod-ns');
  assert.deepEqual(mixed.tls?.ca, { setting: 'temporal.tls.caFile', path: '/etc/baton/pki/ca.pem' });
  assert.equal(mixed.tls?.cert?.setting, 'TEMPORAL_TLS_CLIENT_CERT_PATH');
});

test('temporal.tls: false keeps plain TCP whatever the environment says; true is TLS with the system CAs', () => {
  const vars = env({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem' });
  assert.equal(configFromObject(base({ tls: false }), '/b.yaml', '/', vars).temporal.tls, null);
  assert.deepEqual(configFromObject(base({ tls: true }), '/b.yaml', '/', env()).temporal.tls, {});
  assert.equal(configFromObject(base(), '/b.yaml', '/', env({ TEMPORAL_TLS: 'false' })).temporal.tls, null);
});

test('an API key turns TLS on unless baton.yaml turns it off, and comes from a file, a variable or TEMPORAL_API_KEY', () => {
  const file = configFromObject(base({ apiKeyFile: 'api.key' }), '/etc/baton/b.yaml', '/etc/baton', env()).temporal;
  assert.deepEqual(file.apiKey, { setting: 'temporal.apiKeyFile', path: '/etc/baton/api.key' });
  assert.deepEqual(file.tls, {});
  const named = configFromObject(base({ apiKeyEnv: 'MY_KEY', tls: false }), '/b.yaml', '/', env()).temporal;
  assert.deepEqual(named.apiKey, { setting: 'temporal.apiKeyEnv', env: 'MY_KEY' });
  assert.equal(named.tls, null);
  const standard = configFromObject(base(), '/b.yaml', '/', env({ TEMPORAL_API_KEY: 'k-123' })).temporal;
  assert.deepEqual(standard.apiKey, { setting: 'TEMPORAL_API_KEY', data: 'k-123' });
});

test("a profile of Temporal's config file: temporal.profile, else TEMPORAL_PROFILE; a missing one is a config error", () => {
  const dir = tempDir().path;
  const toml = join(dir, 'temporal.toml');
  writeFileSync(
    toml,
    [
      '[profile.default]',
      'address = "default.example:7233"',
      '[profile.prod]',
      'address = "prod.example:7233"',
      'namespace = "prod"',
      '[profile.prod.tls]',
      'server_ca_cert_path = "/pki/prod-ca.pem"',
      '',
    ].join('\n'),
  );
  const vars = env({ TEMPORAL_CONFIG_FILE: toml });
  assert.equal(configFromObject(base(), '/b.yaml', '/', vars).temporal.address, 'default.example:7233');
  const prod = configFromObject(base({ profile: 'prod' }), '/b.yaml', '/', vars).temporal;
  assert.equal(prod.address, 'prod.example:7233');
  assert.equal(prod.namespace, 'prod');
  assert.deepEqual(prod.tls?.ca, {
    setting: "the Temporal profile's tls.server_ca_cert_path",
    path: '/pki/prod-ca.pem',
  });
  assert.equal(
    configFromObject(base(), '/b.yaml', '/', { ...vars, TEMPORAL_PROFILE: 'prod' }).temporal.namespace,
    'prod',
  );
  assert.throws(
    () => configFromObject(base({ profile: 'staging' }), '/b.yaml', '/', vars),
    (err: unknown) =>
      err instanceof ConfigError &&
      /temporal\.profile: Profile 'staging' not found in config data in .*temporal\.toml; fix the profile file/.test(
        err.problems[0],
      ),
  );
});

test('refused with the fix: disableHostVerification, both apiKeyFile and apiKeyEnv, an inline key', () => {
  const refused = (temporal: Record<string, unknown>, problem: RegExp) =>
    assert.throws(
      () => configFromObject(base(temporal), '/b.yaml', '/', env()),
      (err: unknown) => err instanceof ConfigError && problem.test(err.problems.join('\n')),
    );
  refused(
    { tls: { disableHostVerification: true } },
    /temporal\.tls\.disableHostVerification: .*cannot skip host verification; remove it and set temporal\.tls\.serverName/,
  );
  refused({ apiKeyFile: 'a', apiKeyEnv: 'B' }, /must have at most one of apiKeyFile and apiKeyEnv/);
  refused({ apiKey: 'secret' }, /temporal: unknown key "apiKey"/);
  refused(
    { tls: { ca: 'x' } },
    /temporal\.tls: \{"ca":"x"\} must be true, false, or a map of caFile, certFile, keyFile and serverName/,
  );
});

test('an unreadable default profile file nobody asked for is as if absent; one named by TEMPORAL_CONFIG_FILE is an error', () => {
  const vars = env();
  // A directory where the file should be: unreadable as a file (EISDIR), as root's file is for a
  // service user running with root's HOME (EACCES; pacemaker-e2e's alert agent runs so).
  const file = join(vars.XDG_CONFIG_HOME ?? '', 'temporalio', 'temporal.toml');
  mkdirSync(file, { recursive: true });
  const t = configFromObject(base(), '/b.yaml', '/', vars).temporal;
  assert.deepEqual(t, { address: '127.0.0.1:7233', namespace: 'default', tls: null });
  assert.throws(
    () => configFromObject(base(), '/b.yaml', '/', { ...vars, TEMPORAL_CONFIG_FILE: file }),
    (err: unknown) => err instanceof ConfigError && /temporal\.profile: .*EISDIR/.test(err.problems[0]),
  );
});
