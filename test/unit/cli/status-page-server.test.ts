import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseServeAddress, startStatusPageServer } from '../../../src/cli/status-page-server';
import type { StatusPageAnswer } from '../../../src/cli/status-page-html';

const answer: StatusPageAnswer = { ok: false, error: 'the coordinator of cluster demo is not running', at: 't' };

void test('GET / and /status.json answer; other methods 405, other paths 404', async () => {
  let loads = 0;
  const server = await startStatusPageServer('127.0.0.1:0', 'demo', () => {
    loads++;
    return Promise.resolve(answer);
  });
  try {
    const base = `http://${server.address}`;
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 503);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /is not running/);
    const json = await fetch(`${base}/status.json`);
    assert.deepEqual(await json.json(), answer);
    const post = await fetch(`${base}/status.json`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal((await fetch(`${base}/other`)).status, 404);
    assert.equal(loads, 2, 'only the GETs of the page and its data read the sources');
  } finally {
    await server.close();
  }
});

void test('a busy or malformed address is one UserError naming it and the fix', async () => {
  const first = await startStatusPageServer('127.0.0.1:0', 'demo', () => Promise.resolve(answer));
  try {
    await assert.rejects(
      startStatusPageServer(first.address, 'demo', () => Promise.resolve(answer)),
      {
        name: 'UserError',
        message: `status page address ${first.address} is already in use; stop what listens there, or give another address with \`baton status --serve HOST:PORT\``,
      },
    );
  } finally {
    await first.close();
  }
  assert.throws(() => parseServeAddress('8080'), {
    message: /--serve "8080" is not HOST:PORT; give one like 127.0.0.1:8080/,
  });
});
