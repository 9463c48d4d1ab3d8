import { escapeHtml, jsonForScriptElement } from './htmlEscaping';
import { maxPageSize, runtimeStatusNames } from './listQuery';
import { orderFormExamples } from './orderFormExamples';
import { PageScript, sha256Source } from './pageScriptFile';
import { pageStyle } from './pageStyle';

// GET /api/monitor: one HTML document with its style and the form's examples inline, and its
// script as a module from the app itself (GET /api/monitor/pageScript.js), built once per process.
// The Content-Security-Policy allows exactly that style and that script by their SHA-256 hashes
// (the script element carries the same hash as its integrity, which is how a browser matches an
// external script to a hash) and lets the page talk to its own origin only, so neither an injected
// <script> nor a request to another site can run, even if some text slipped through unescaped.

/**
 * The script's route. The page is served at route `monitor`, so the same text, relative to the
 * page's URL, names the script wherever the app's route prefix puts both.
 */
export const pageScriptRoute = 'monitor/pageScript.js';

export interface MonitorPage {
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

const statusChoices: readonly string[] = runtimeStatusNames.filter((status) => status !== 'ContinuedAsNew');
const pageSizes = [5, 10, 20, 50, maxPageSize];

export function renderMonitorPage(script: PageScript): MonitorPage {
  const statusBoxes = statusChoices
    .map(
      (status) =>
        `<label class="inline"><input type="checkbox" name="status" value="${escapeHtml(status)}"> ${escapeHtml(status)}</label>`,
    )
    .join('');
  const pageSizeOptions = pageSizes
    .map((size) => `<option value="${size}"${size === 20 ? ' selected' : ''}>${size}</option>`)
    .join('');
  const examples = orderFormExamples.map(({ label, expect, body }) => ({ label, expect, body }));

  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Saga monitor</title>
<style>${pageStyle}</style>
</head>
<body>
<header class="top">
  <h1>Saga monitor</h1>
  <span id="refresh-state" class="muted" aria-live="polite"></span>
  <label class="inline"><input type="checkbox" id="auto-refresh" checked> Auto-refresh while sagas run</label>
  <button type="button" id="refresh-now">Refresh</button>
</header>
<main>
<section class="panel" id="start-panel" aria-labelledby="start-title">
  <h2 id="start-title">Start an order saga</h2>
  <form id="start-form">
    <label>Example <select id="example-select"></select></label>
    <p id="example-expect" class="muted"></p>
    <label>Order: the JSON body of POST /api/orders
      <textarea id="order-body" rows="16" spellcheck="false"></textarea></label>
    <label>Idempotency-Key (optional: names the instance; a repeat answers with the same saga)
      <input type="text" id="idempotency-key" maxlength="64" autocomplete="off"></label>
    <button type="submit" id="start-button" class="primary">Start saga</button>
  </form>
  <div id="start-result"></div>
  <h2 id="figures-title">Saga figures</h2>
  <dl id="figures" class="figures"></dl>
</section>
<section class="panel" id="list-panel" aria-labelledby="list-title">
  <h2 id="list-title">Instances</h2>
  <form id="filter-form">
    <fieldset><legend>Runtime status (none = all)</legend>${statusBoxes}</fieldset>
    <label>Created
      <select id="range-preset">
        <option value="">any time</option>
        <option value="15">last 15 minutes</option>
        <option value="60">last hour</option>
        <option value="1440">last 24 hours</option>
        <option value="10080">last 7 days</option>
        <option value="custom">custom range</option>
      </select></label>
    <label>from <input type="datetime-local" id="created-from" step="1"></label>
    <label>to <input type="datetime-local" id="created-to" step="1"></label>
    <label>Id prefix <input type="text" id="id-prefix" maxlength="256" autocomplete="off"></label>
    <label>Page size <select id="page-size">${pageSizeOptions}</select></label>
    <label class="inline"><input type="checkbox" id="include-steps"> show step sub-orchestrations</label>
    <button type="submit" class="primary" id="filter-apply">Apply</button>
    <button type="button" id="filter-reset">Reset</button>
  </form>
  <div id="list-error"></div>
  <div id="list-message"></div>
  <table id="instances">
    <thead><tr><th>Instance</th><th>Runtime status</th><th>Saga status</th><th>Created</th><th>Last updated</th><th>Duration</th></tr></thead>
    <tbody id="instances-body"></tbody>
  </table>
  <p id="list-empty" class="muted" hidden>No instances match these filters.</p>
  <nav class="pager" aria-label="Pages">
    <button type="button" id="page-first">First</button>
    <button type="button" id="page-prev">Previous</button>
    <button type="button" id="page-next">Next</button>
    <span id="page-info" class="muted"></span>
  </nav>
</section>
<section class="panel" id="detail-panel" hidden aria-labelledby="detail-title">
  <div class="detail-head">
    <h2 id="detail-title">Instance <code id="detail-id"></code></h2>
    <button type="button" id="detail-close">Close</button>
  </div>
  <div id="detail-error"></div>
  <div id="detail-body">
    <dl class="facts" id="detail-facts"></dl>
    <p id="detail-steps" class="muted"></p>
    <div class="actions" id="detail-actions">
      <button type="button" data-action="terminate">Terminate…</button>
      <button type="button" data-action="suspend">Suspend…</button>
      <button type="button" data-action="resume">Resume…</button>
      <button type="button" data-action="restart">Restart…</button>
      <button type="button" data-action="raiseEvent">Raise event…</button>
      <button type="button" data-action="purge">Purge…</button>
    </div>
    <div id="action-result"></div>
    <h3>Timeline</h3>
    <div class="timeline" id="timeline"></div>
    <div class="two-col">
      <div><h3>Input</h3><pre id="detail-input"></pre></div>
      <div><h3>Output</h3><pre id="detail-output"></pre></div>
    </div>
    <details><summary>Custom status (the saga state)</summary><pre id="detail-custom-status"></pre></details>
    <details id="history-details"><summary>History events (<span id="history-count">0</span>)</summary>
      <table id="history">
        <thead><tr><th>#</th><th>Event</th><th>Timestamp</th><th>Function / name</th><th>Details</th></tr></thead>
        <tbody id="history-body"></tbody>
      </table>
    </details>
  </div>
</section>
</main>
<dialog id="confirm-dialog" aria-labelledby="confirm-title">
  <form id="confirm-form">
    <h2 id="confirm-title"></h2>
    <p>Instance <code id="confirm-instance"></code></p>
    <p id="confirm-text"></p>
    <div id="confirm-fields"></div>
    <div id="confirm-error"></div>
    <menu>
      <button type="button" id="confirm-cancel">Cancel</button>
      <button type="submit" id="confirm-ok"></button>
    </menu>
  </form>
</dialog>
<script type="application/json" id="order-examples">${jsonForScriptElement(examples)}</script>
<script type="module" src="${pageScriptRoute}" integrity="${script.hash}"></script>
</body>
</html>
`;

  const policy = [
    "default-src 'none'",
    `script-src '${script.hash}'`,
    `style-src '${sha256Source(pageStyle)}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  return {
    html,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': policy,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cache-Control': 'no-store',
    },
  };
}
