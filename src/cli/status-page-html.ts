/**
 * The status page of `baton status --serve`: one server-rendered HTML page with no external
 * assets, and the few lines of inline JavaScript that poll `/status.json` every second and
 * redraw the page's tables from it (text only: the script sets `textContent`, never HTML).
 * Everything the server puts in the page goes through `escapeHtml`. Free of I/O.
 */

/** What the page shows: the same sources as `baton status` (coordinator query, catalog, heartbeats). */
export interface StatusPageData {
  cluster: string;
  /** The coordinator's workflow ID, and the node its latest workflow task ran on (null: not yet placed). */
  coordinator: { workflowId: string; host: string | null; url: string };
  nodes: { name: string; drives: string[]; coordinator: boolean }[];
  apps: { name: string; host: string | null; lastSuccess: string | null; lastFailure: string | null }[];
  running: { jobId: string; app: string; node: string; drive: string; progress: string | null; url: string }[];
  failures: {
    jobId: string;
    app: string;
    node: string;
    finishedAt: string | null;
    error: string | null;
    url: string;
  }[];
  /** ISO time the data was read. */
  at: string;
}

/** What `/status.json` answers: the data, or why there is none (the coordinator does not answer). */
export type StatusPageAnswer = { ok: true; data: StatusPageData } | { ok: false; error: string; at: string };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A table's rows: each cell is text, or a link [text, href]. */
export type Cell = string | [string, string];

/** The page's tables, as the script redraws them too: id -> header and rows. */
export function pageTables(d: StatusPageData): Record<string, { head: string[]; rows: Cell[][] }> {
  return {
    nodes: {
      head: ['Node', 'Drives', 'Coordinator'],
      rows: d.nodes.map((n) => [n.name, n.drives.join(', '), n.coordinator ? 'here' : '']),
    },
    apps: {
      head: ['App', 'Host', 'Last success', 'Last failure'],
      rows: d.apps.map((a) => [a.name, a.host ?? '(not running)', a.lastSuccess ?? 'never', a.lastFailure ?? '']),
    },
    running: {
      head: ['Job', 'App', 'Node', 'Drive', 'Progress'],
      rows: d.running.map((j) => [[j.jobId, j.url], j.app, j.node, j.drive, j.progress ?? 'starting']),
    },
    failures: {
      head: ['Job', 'App', 'Node', 'Finished', 'Error'],
      rows: d.failures.map((f) => [[f.jobId, f.url], f.app, f.node, f.finishedAt ?? '', f.error ?? '']),
    },
  };
}

function cellHtml(c: Cell): string {
  return Array.isArray(c) ? `<a href="${escapeHtml(c[1])}">${escapeHtml(c[0])}</a>` : escapeHtml(c);
}

function tableHtml(id: string, t: { head: string[]; rows: Cell[][] }): string {
  const head = t.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${cellHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** Redraws the tables and the header lines from /status.json every second; text only. */
const SCRIPT = `
const $ = (id) => document.getElementById(id);
function cell(c) {
  const td = document.createElement('td');
  if (Array.isArray(c)) { const a = document.createElement('a'); a.href = c[1]; a.textContent = c[0]; td.append(a); }
  else td.textContent = c;
  return td;
}
async function poll() {
  try {
    const s = await (await fetch('status.json', { cache: 'no-store' })).json();
    document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
    $('error').textContent = s.ok ? '' : s.error;
    $('at').textContent = s.at;
    if (!s.ok) return;
    if (!$('nodes')) { location.reload(); return; }
    $('host').textContent = s.host;
    for (const [id, t] of Object.entries(s.tables)) {
      $(id).tBodies[0].replaceChildren(...t.rows.map((r) => { const tr = document.createElement('tr'); tr.append(...r.map(cell)); return tr; }));
    }
  } catch (e) { $('error').textContent = 'status.json: ' + e.message; }
}
setInterval(poll, 1000);
`;

/** The JSON the script reads: the data, its tables as the page draws them, the header's host line. */
export function statusJson(answer: StatusPageAnswer): string {
  if (!answer.ok) return JSON.stringify(answer);
  return JSON.stringify({
    ok: true,
    at: answer.data.at,
    host: answer.data.coordinator.host ?? '(not yet placed)',
    tables: pageTables(answer.data),
    data: answer.data,
  });
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.4em 0 1.4em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;white-space:nowrap}td:last-child{white-space:normal}th{background:#f3f3f3}#error{color:#b00}
h2{font-size:1.1em;margin-bottom:.2em}.muted{color:#777}`;

/** The whole page for `answer` (an error page, with the script still polling, when there is no data). */
export function renderStatusPage(answer: StatusPageAnswer, cluster: string): string {
  const d = answer.ok ? answer.data : undefined;
  const tables = d ? pageTables(d) : undefined;
  const section = (id: string, title: string) =>
    tables ? `<h2>${escapeHtml(title)}</h2>\n${tableHtml(id, tables[id])}` : '';
  const coordinator = d
    ? `<p>Coordinator <a href="${escapeHtml(d.coordinator.url)}">${escapeHtml(d.coordinator.workflowId)}</a> ` +
      `on <b id="host">${escapeHtml(d.coordinator.host ?? '(not yet placed)')}</b></p>`
    : '<p id="host"></p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baton: ${escapeHtml(cluster)}</title>
<style>${STYLE}</style></head>
<body>
<h1>Baton cluster ${escapeHtml(cluster)}</h1>
${coordinator}
<p id="error">${answer.ok ? '' : escapeHtml(answer.error)}</p>
${section('nodes', 'Nodes')}
${section('apps', 'Apps')}
${section('running', 'Running jobs')}
${section('failures', 'Recent failures')}
<p class="muted">read at <span id="at">${escapeHtml(answer.ok ? answer.data.at : answer.at)}</span>; updates every second</p>
<script>${SCRIPT}</script>
</body></html>
`;
}
