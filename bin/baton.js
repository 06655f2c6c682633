#!/usr/bin/env node
'use strict';
// The `baton` command. The TypeScript sources are compiled to dist/ by `npm ci` (prepare) or `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const entry = join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error('baton: not built yet; run `npm ci` (or `npm run build`) in ' + join(__dirname, '..'));
  process.exit(1);
}
require(entry)
  .main(process.argv)
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
