#!/usr/bin/env node
'use strict';
// The `baton` command. The TypeScript sources are compiled to dist/ by `npm ci` (prepare) or `npm run build`.
// `baton repo ...` needs only the data engine: its own entry skips loading the cluster and Temporal
// modules (about 0.35 s of every command).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const entry = join(__dirname, '..', 'dist', 'src', 'cli', process.argv[2] === 'repo' ? 'repo-main.js' : 'main.js');
if (!existsSync(entry)) {
  console.error('baton: not built yet; run `npm ci` (or `npm run build`) in ' + join(__dirname, '..'));
  process.exit(1);
}
if (process.argv[2] === 'repo') {
  // the drive's key derivation (scrypt) starts now, while the engine's modules load (key-prefetch.ts)
  require(join(__dirname, '..', 'dist', 'src', 'cli', 'key-prefetch.js')).prefetchDriveKey(
    process.argv.slice(3),
    process.env,
  );
}
require(entry)
  .main(process.argv)
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
