import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, renderStatusPage, statusJson, type StatusPageData } from '../../../src/cli/status-page-html';

const EVIL = '<script>alert("x")</script>';

function data(over: Partial<StatusPageData> = {}): StatusPageData {
  return {
    cluster: 'demo',
    coordinator: {
      workflowId: 'baton-demo-coordinator',
      host: 'node-1',
      url: 'http://ui/namespaces/default/workflows/c',
    },
    nodes: [
      { name: 'node-1', drives: ['node-1-disk'], coordinator: true },
      { name: 'node-2', drives: ['node-2-disk'], coordinator: false },
    ],
    apps: [{ name: 'db', host: 'node-2', lastSuccess: '2026-12-04T10:00:00Z', lastFailure: null }],
    running: [
      {
        jobId: 'baton-backup-demo-db-1',
        app: 'db',
        node: 'node-3',
        drive: 'node-3-disk',
        progress: '12/100 files',
        url: 'http://ui/namespaces/default/workflows/baton-backup-demo-db-1',
      },
    ],
    failures: [],
    at: '2026-12-04T12:00:00Z',
    ...over,
  };
}

void test('escapeHtml escapes the five characters that matter', () => {
  assert.equal(escapeHtml(`a&b<c>"d"'e'`), 'a&amp;b&lt;c&gt;&quot;d&quot;&#39;e&#39;');
});

void test('the page shows the coordinator host, the nodes, the apps and each running job on its node, linked', () => {
  const html = renderStatusPage({ ok: true, data: data() }, 'demo');
  assert.match(
    html,
    /Coordinator <a href="http:\/\/ui\/namespaces\/default\/workflows\/c">baton-demo-coordinator<\/a> on <b id="host">node-1<\/b>/,
  );
  assert.match(html, /<tr><td>node-1<\/td><td>node-1-disk<\/td><td>here<\/td><\/tr>/);
  assert.match(html, /<tr><td>db<\/td><td>node-2<\/td><td>2026-12-04T10:00:00Z<\/td><td><\/td><\/tr>/);
  assert.match(
    html,
    /<td><a href="http:\/\/ui\/namespaces\/default\/workflows\/baton-backup-demo-db-1">baton-backup-demo-db-1<\/a><\/td><td>db<\/td><td>node-3<\/td><td>node-3-disk<\/td><td>12\/100 files<\/td>/,
  );
  assert.doesNotMatch(html, /<link|<img|src=/, 'no external assets');
});

void test('an app, node or error named <script> renders as text, not as markup', () => {
  const evil = data({
    cluster: EVIL,
    apps: [{ name: EVIL, host: EVIL, lastSuccess: null, lastFailure: null }],
    failures: [{ jobId: EVIL, app: EVIL, node: 'n', finishedAt: null, error: EVIL, url: `x" onclick="${EVIL}` }],
  });
  const html = renderStatusPage({ ok: true, data: evil }, EVIL);
  const scripts = html.match(/<script>/g) ?? [];
  assert.equal(scripts.length, 1, "only the page's own script tag");
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  assert.ok(html.includes('href="x&quot; onclick=&quot;'));
  const error = renderStatusPage({ ok: false, error: EVIL, at: 't' }, 'demo');
  assert.equal((error.match(/<script>/g) ?? []).length, 1);
  assert.ok(error.includes('<p id="error">&lt;script&gt;'));
});

void test('status.json carries the tables the script redraws, or the error', () => {
  const j = JSON.parse(statusJson({ ok: true, data: data() })) as {
    ok: boolean;
    host: string;
    tables: Record<string, { rows: unknown[][] }>;
  };
  assert.equal(j.ok, true);
  assert.equal(j.host, 'node-1');
  assert.deepEqual(j.tables.running.rows[0], [
    ['baton-backup-demo-db-1', 'http://ui/namespaces/default/workflows/baton-backup-demo-db-1'],
    'db',
    'node-3',
    'node-3-disk',
    '12/100 files',
  ]);
  assert.deepEqual(JSON.parse(statusJson({ ok: false, error: 'down', at: 't' })), {
    ok: false,
    error: 'down',
    at: 't',
  });
});
