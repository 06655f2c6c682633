const { findCut, GEAR } = require('./dist/src/engine/chunker.js');
const fs = require('fs');
const MIN_CHUNK = 512 * 1024, AVG_CHUNK = 1024 * 1024, MAX_CHUNK = 8 * 1024 * 1024;
const MASK_S = 0xfffffc00 | 0, MASK_L = 0xffffc000 | 0;
const G = Int32Array.from(GEAR, (v) => v | 0);
let hash = 0;
function scan(buf, i, end, mask) {
  const gear = G; let h = hash;
  for (; i < end; i++) { h = ((h << 1) + gear[buf[i]]) | 0; if ((h & mask) === 0) { hash = h; return i; } }
  hash = h; return -1;
}
function findCut2(buf, start, end, eof) {
  const n = end - start;
  if (n <= MIN_CHUNK) return eof ? n : -1;
  const limit = start + (n < MAX_CHUNK ? n : MAX_CHUNK);
  const normal = limit < start + AVG_CHUNK ? limit : start + AVG_CHUNK;
  hash = 0;
  let at = scan(buf, start + MIN_CHUNK, normal, MASK_S);
  if (at < 0) at = scan(buf, normal, limit, MASK_L);
  if (at >= 0) return at + 1 - start;
  if (limit - start === MAX_CHUNK) return MAX_CHUNK;
  return eof ? n : -1;
}
const buf = Buffer.concat([fs.readFileSync('/tmp/baton-bench/data-1/big/random-0.bin'), fs.readFileSync('/tmp/baton-bench/data-1/text/doc-00.txt')]);
for (const [name, f] of [['new', findCut2], ['old', findCut], ['new', findCut2]]) for (let r = 0; r < 4; r++) {
  const s = process.hrtime.bigint(); let pos = 0, n = 0, sum = 0;
  while (pos < buf.length) { const l = f(buf, pos, buf.length, true); pos += l; n++; sum = (sum * 31 + l) % 1e9; }
  const ms = Number(process.hrtime.bigint() - s) / 1e6;
  console.log(name, n, 'chunks', sum, ms.toFixed(1), 'ms', (buf.length / ms / 1e3).toFixed(0), 'MB/s of data');
}
