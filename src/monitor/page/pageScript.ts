// The monitor page's script, compiled for the browser on its own (tsconfig.json beside it: lib DOM,
// ES2022 module, no bundler) to dist/src/monitor/page/pageScript.js, which the monitor function
// serves as GET /api/monitor/pageScript.js and the page allows by its hash in the
// Content-Security-Policy. It only shows what the JSON endpoints computed (rows, timeline, allowed
// actions) and sends actions back.
//
// Everything from users (instance ids, order fields, event names, reasons, history) reaches the
// DOM through textContent or createTextNode, never through innerHTML, so the browser never parses
// it as markup. Styles are set through element.style (CSSOM), which the CSP permits, never through
// style attributes.
//
// In Azure the endpoints need a function key: open the page as /api/monitor?code=<host key> and
// the script sends the key as x-functions-key with every call. A host key is needed rather than a
// function key because the page calls several functions (the monitor's and POST /api/orders).

import type {
  ActionAnswer,
  ActionName,
  InstanceDetail,
  InstancePageBody,
  InstanceRow,
  OrderExample,
  ProblemBody,
  SagaFigures,
  StartAnswer,
  Timeline,
  TimelineEntry,
  TimelineGroup,
} from './monitorApi';

// ---- small DOM helpers ------------------------------------------------------------------

function byId(id: string): HTMLElement;
function byId<T extends HTMLElement>(id: string, type: new () => T): T;
function byId(id: string, type: new () => HTMLElement = HTMLElement): HTMLElement {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return node;
}

const input = (id: string): HTMLInputElement => byId(id, HTMLInputElement);
const select = (id: string): HTMLSelectElement => byId(id, HTMLSelectElement);
const button = (id: string): HTMLButtonElement => byId(id, HTMLButtonElement);
const dialog = (id: string): HTMLDialogElement => byId(id, HTMLDialogElement);

interface ElementProps {
  readonly text?: string;
  readonly className?: string;
  readonly onClick?: () => void;
  readonly id?: string;
  readonly title?: string;
  readonly type?: string;
  readonly role?: string;
  readonly value?: string;
  readonly 'aria-label'?: string;
  readonly maxLength?: number;
  readonly rows?: number;
  readonly spellcheck?: boolean;
  readonly [data: `data-${string}`]: string;
}

type Child = Node | string | null | undefined;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: ElementProps | null,
  children: readonly Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {}) as [keyof ElementProps, ElementProps[keyof ElementProps]][]) {
    if (value === undefined || value === null) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'className') node.className = String(value);
    else if (key === 'onClick') node.addEventListener('click', value as () => void);
    else if (key === 'id') node.id = String(value);
    else if (key === 'spellcheck') node.spellcheck = value === true;
    else if (key === 'maxLength') node.setAttribute('maxlength', String(value));
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

function clear<T extends Node>(node: T): T {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Local time, to the second: what a person compares with their clock. */
function formatTime(iso: string | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function formatClock(iso: string | undefined): string {
  if (!iso) return '?';
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function toLocalInput(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function localInputToIso(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function json(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  return JSON.stringify(value, null, 2);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---- page state ----------------------------------------------------------------------------

const basePath = location.pathname.replace(/\/+$/, '');
const instancesUrl = `${basePath}/instances`;
const ordersUrl = basePath.replace(/\/monitor$/, '/orders');
const figuresUrl = basePath.replace(/\/monitor$/, '/saga-metrics');
const functionKey = new URLSearchParams(location.search).get('code');
const examples = JSON.parse(byId('order-examples').textContent || '[]') as readonly OrderExample[];
const refreshEveryMs = 2000;

const state: {
  /** The continuation token of each page seen so far (null: the first page). */
  tokens: (string | null)[];
  pageIndex: number;
  nextToken: string | null;
  rows: readonly InstanceRow[];
  detailId: string | null;
  detail: InstanceDetail | null;
  pendingAction: ActionName | null;
  loadingList: Promise<void> | null;
  listAgain: boolean;
  loadingDetail: Promise<void> | null;
  detailAgain: boolean;
} = {
  tokens: [null],
  pageIndex: 0,
  nextToken: null,
  rows: [],
  detailId: null,
  detail: null,
  pendingAction: null,
  loadingList: null,
  listAgain: false,
  loadingDetail: null,
  detailAgain: false,
};

// ---- HTTP ----------------------------------------------------------------------------------

interface CallResult<T> {
  readonly status: number;
  readonly ok: boolean;
  /** The parsed body; its shape is the endpoint's, as far as the page relies on it. */
  readonly json: (T & ProblemBody) | null;
  readonly text: string;
}

async function call<T>(
  method: string,
  url: string,
  body?: unknown,
  extraHeaders: Readonly<Record<string, string>> = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (functionKey) headers['x-functions-key'] = functionKey;
  Object.assign(headers, extraHeaders);
  const init: RequestInit = { method, headers, cache: 'no-store', credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed: (T & ProblemBody) | null;
  try {
    parsed = text ? (JSON.parse(text) as T & ProblemBody) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, ok: response.ok, json: parsed, text };
}

/** The app's 4xx bodies are { errors: [{ path, message }] }: show each one. */
function problemNode(result: CallResult<unknown>, intro?: string): HTMLDivElement {
  const box = el('div', { className: 'error', role: 'alert' }, [intro || `HTTP ${result.status}`]);
  // Array.isArray widens a readonly array to any[]: check the untrusted JSON, keep the declared type.
  const listed: unknown = result.json?.errors;
  const errors = Array.isArray(listed) ? (listed as NonNullable<ProblemBody['errors']>) : null;
  if (errors) {
    box.appendChild(
      el(
        'ul',
        null,
        errors.map((e) => el('li', null, [el('code', { text: e.path }), ' ', e.message])),
      ),
    );
  } else if (result.text) {
    box.appendChild(el('div', { className: 'mono', text: result.text.slice(0, 500) }));
  }
  return box;
}

function networkProblem(error: unknown): HTMLDivElement {
  return el('div', {
    className: 'error',
    role: 'alert',
    text: `The monitor could not be reached: ${errorMessage(error)}`,
  });
}

// ---- list ----------------------------------------------------------------------------------

function listQuery(): URLSearchParams {
  const params = new URLSearchParams();
  const statuses = Array.from(
    document.querySelectorAll<HTMLInputElement>('input[name=status]:checked'),
    (i) => i.value,
  );
  if (statuses.length > 0) params.set('status', statuses.join(','));
  const preset = select('range-preset').value;
  if (preset && preset !== 'custom') {
    input('created-from').value = toLocalInput(new Date(Date.now() - Number(preset) * 60000));
    input('created-to').value = '';
  }
  const from = localInputToIso(input('created-from').value);
  const to = localInputToIso(input('created-to').value);
  if (from) params.set('createdFrom', from);
  if (to) params.set('createdTo', to);
  const prefix = input('id-prefix').value.trim();
  if (prefix) params.set('idPrefix', prefix);
  params.set('pageSize', select('page-size').value);
  if (input('include-steps').checked) params.set('includeSteps', 'true');
  const token = state.tokens[state.pageIndex];
  if (token) params.set('continuationToken', token);
  return params;
}

/**
 * One list request at a time. A request made while one is on its way is not dropped: the list
 * loads once more afterwards, so what is shown is never older than the last change (a purge,
 * a new filter).
 */
function loadList(): Promise<void> {
  if (state.loadingList) {
    state.listAgain = true;
    return state.loadingList;
  }
  state.loadingList = loadListOnce().then(() => {
    state.loadingList = null;
    if (state.listAgain) {
      state.listAgain = false;
      return loadList();
    }
    return undefined;
  });
  return state.loadingList;
}

/** Saga figures (GET /api/saga-metrics): outcomes and latency percentiles, refreshed with the list. */
async function loadFigures(): Promise<void> {
  let result: CallResult<SagaFigures>;
  try {
    result = await call<SagaFigures>('GET', figuresUrl);
  } catch {
    return; // figures are extra: the list shows its own errors
  }
  if (!result.ok || !result.json) return;
  const f = result.json;
  const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${Math.round(v)} ms`);
  const { endToEnd } = f.latency;
  const rows: [string, string][] = [
    ['Sagas', String(f.total)],
    ['Running', String(f.outcomes.running)],
    ['Completed', String(f.outcomes.completed)],
    ['Rejected at A / B / C', `${f.outcomes.rejectedAt.A} / ${f.outcomes.rejectedAt.B} / ${f.outcomes.rejectedAt.C}`],
    ['Failed', String(f.outcomes.failed)],
    ['Needs attention', String(f.outcomes.needsAttention)],
    ['End to end p50 / p95 / p99', `${ms(endToEnd.p50Ms)} / ${ms(endToEnd.p95Ms)} / ${ms(endToEnd.p99Ms)}`],
  ];
  for (const step of ['A', 'B', 'C'] as const) {
    const l = f.latency.steps[step];
    rows.push([`Step ${step} p50 / p95`, `${ms(l.p50Ms)} / ${ms(l.p95Ms)}`]);
  }
  const list = clear(byId('figures'));
  for (const [name, value] of rows) {
    list.appendChild(el('dt', { text: name }));
    list.appendChild(el('dd', { text: value, 'data-figure': name }));
  }
}

async function loadListOnce(): Promise<void> {
  void loadFigures();
  const query = listQuery().toString();
  try {
    const result = await call<InstancePageBody>('GET', `${instancesUrl}?${query}`);
    const box = clear(byId('list-error'));
    if (!result.ok || !result.json) {
      box.appendChild(problemNode(result, `The list could not be read (HTTP ${result.status}):`));
    } else {
      state.rows = result.json.instances ?? [];
      state.nextToken = result.json.continuationToken ?? null;
      // Which query the rows answer: lets a person (and a test) tell a fresh list from a stale one.
      byId('instances').setAttribute('data-query', query);
      renderList();
    }
  } catch (error) {
    clear(byId('list-error')).appendChild(networkProblem(error));
  }
  updateRefreshState();
}

function statusBadge(status: string): HTMLSpanElement {
  return el('span', { className: `badge ${status}`, 'data-runtime-status': status, text: status });
}

function attentionBadge(into: HTMLElement): void {
  into.appendChild(document.createTextNode(' '));
  into.appendChild(el('span', { className: 'badge attention', text: 'needs attention' }));
}

function renderList(): void {
  const body = clear(byId('instances-body'));
  for (const row of state.rows) {
    const open = el('button', {
      type: 'button',
      className: 'link mono',
      text: row.instanceId,
      title: `Open ${row.instanceId}`,
      onClick: () => void openDetail(row.instanceId),
    });
    const saga = el('td', null, [row.sagaStatus]);
    if (row.needsAttention) attentionBadge(saga);
    const tr = el('tr', { 'data-instance-id': row.instanceId, 'data-runtime-status': row.runtimeStatus }, [
      el('td', null, [open, el('div', { className: 'muted', text: row.name })]),
      el('td', null, [statusBadge(row.runtimeStatus)]),
      saga,
      el('td', { className: 'num', text: formatTime(row.createdTime), title: row.createdTime ?? '' }),
      el('td', { className: 'num', text: formatTime(row.lastUpdatedTime), title: row.lastUpdatedTime ?? '' }),
      el('td', { className: 'num', text: row.durationText }),
    ]);
    if (row.instanceId === state.detailId) tr.className = 'selected';
    body.appendChild(tr);
  }
  byId('list-empty').hidden = state.rows.length > 0;
  button('page-prev').disabled = state.pageIndex === 0;
  button('page-first').disabled = state.pageIndex === 0;
  button('page-next').disabled = !state.nextToken;
  byId('page-info').textContent =
    `Page ${state.pageIndex + 1} · ${state.rows.length} shown` + (state.nextToken ? ' · more on the next page' : '');
}

function restartPaging(): void {
  state.tokens = [null];
  state.pageIndex = 0;
  state.nextToken = null;
}

// ---- detail --------------------------------------------------------------------------------

async function openDetail(id: string): Promise<void> {
  if (id !== state.detailId) byId('detail-body').hidden = true;
  state.detailId = id;
  state.detail = null;
  clear(byId('action-result'));
  clear(byId('detail-error'));
  const hash = `#instance=${encodeURIComponent(id)}`;
  if (location.hash !== hash) history.replaceState(null, '', location.pathname + location.search + hash);
  byId('detail-panel').hidden = false;
  byId('detail-id').textContent = id;
  renderList();
  await loadDetail();
  byId('detail-panel').scrollIntoView({ block: 'start' });
}

function closeDetail(): void {
  state.detailId = null;
  state.detail = null;
  byId('detail-panel').hidden = true;
  history.replaceState(null, '', location.pathname + location.search);
  renderList();
}

/** Like loadList: one request at a time, and one more if asked while it ran. */
function loadDetail(): Promise<void> {
  if (!state.detailId) return Promise.resolve();
  if (state.loadingDetail) {
    state.detailAgain = true;
    return state.loadingDetail;
  }
  state.loadingDetail = loadDetailOnce().then(() => {
    state.loadingDetail = null;
    if (state.detailAgain) {
      state.detailAgain = false;
      return loadDetail();
    }
    return undefined;
  });
  return state.loadingDetail;
}

async function loadDetailOnce(): Promise<void> {
  const id = state.detailId;
  if (id === null) return;
  try {
    const result = await call<InstanceDetail>('GET', `${instancesUrl}/${encodeURIComponent(id)}`);
    // Another instance may have been opened meanwhile: then this answer is stale.
    if (id === state.detailId) showDetail(result);
  } catch (error) {
    clear(byId('detail-error')).appendChild(networkProblem(error));
  }
  updateRefreshState();
}

function showDetail(result: CallResult<InstanceDetail>): void {
  const box = clear(byId('detail-error'));
  if (!result.ok || !result.json) {
    state.detail = null;
    byId('detail-body').hidden = true;
    const intro =
      result.status === 404
        ? 'No such instance (it may have been purged):'
        : `The instance could not be read (HTTP ${result.status}):`;
    box.appendChild(problemNode(result, intro));
    return;
  }
  state.detail = result.json;
  byId('detail-body').hidden = false;
  renderDetail(result.json);
}

function fact(label: string, value: Node): HTMLElement[] {
  return [el('dt', { text: label }), el('dd', null, [value])];
}

function actionButtons(): HTMLButtonElement[] {
  return Array.from(document.querySelectorAll<HTMLButtonElement>('#detail-actions button[data-action]'));
}

function isActionName(value: string | null): value is ActionName {
  return value !== null && Object.prototype.hasOwnProperty.call(actionTexts, value);
}

function renderDetail(d: InstanceDetail): void {
  byId('detail-id').textContent = d.instanceId;
  const saga = el('span', null, [d.sagaStatus]);
  if (d.needsAttention) attentionBadge(saga);
  const facts = clear(byId('detail-facts'));
  for (const node of [
    ...fact('Runtime status', statusBadge(d.runtimeStatus)),
    ...fact('Saga status', saga),
    ...fact('Orchestrator', el('span', { className: 'mono', text: d.name })),
    ...fact('Created', el('span', { text: formatTime(d.createdTime), title: d.createdTime ?? '' })),
    ...fact('Last updated', el('span', { text: formatTime(d.lastUpdatedTime), title: d.lastUpdatedTime ?? '' })),
    ...fact('Duration', el('span', { text: d.durationText })),
  ])
    facts.appendChild(node);

  const steps = clear(byId('detail-steps'));
  if (d.stepInstances && d.stepInstances.length > 0) {
    steps.appendChild(document.createTextNode('Step sub-orchestrations: '));
    d.stepInstances.forEach((step, index) => {
      if (index > 0) steps.appendChild(document.createTextNode(' · '));
      steps.appendChild(
        el('button', {
          type: 'button',
          className: 'link mono',
          text: step.instanceId,
          onClick: () => void openDetail(step.instanceId),
        }),
      );
      steps.appendChild(document.createTextNode(` ${step.runtimeStatus}`));
    });
  }

  for (const actionButton of actionButtons()) {
    const action = actionButton.getAttribute('data-action');
    const allowed = isActionName(action) && d.actions[action];
    actionButton.disabled = !allowed;
    actionButton.title = allowed ? '' : `Not possible while the instance is ${d.runtimeStatus}`;
  }

  renderTimeline(d.timeline);
  byId('detail-input').textContent = json(d.input);
  byId('detail-output').textContent = json(d.output);
  byId('detail-custom-status').textContent = json(d.customStatus);
  renderHistory(d.historyEvents);
}

const groupTitles: Readonly<Record<TimelineGroup, string>> = {
  forward: 'Steps',
  compensations: 'Compensations',
  incidents: 'Incident records',
};

function renderTimeline(t: Timeline): void {
  const root = clear(byId('timeline'));
  root.setAttribute('data-live', t.live ? 'true' : 'false');
  const ticks = el(
    'div',
    { className: 'ticks' },
    t.ticks.map((tick) => {
      const node = el('span', { className: 'tick', text: tick.label });
      node.style.left = `${tick.pct}%`;
      return node;
    }),
  );
  root.appendChild(
    el('div', { className: 'tl-axis' }, [
      el('span', { text: t.startedAt ? `from ${formatClock(t.startedAt)}` : '' }),
      ticks,
      el('span', { className: 'tl-time', text: t.spanText + (t.live ? ' so far' : '') }),
    ]),
  );

  for (const group of ['forward', 'compensations', 'incidents'] as const) {
    const entries = t.entries.filter((e) => e.group === group);
    if (entries.length === 0) continue;
    const header = el('div', { className: 'tl-group', 'data-group': group }, [
      el('span', { text: groupTitles[group] }),
    ]);
    if (group === 'compensations' && entries.length > 1) {
      header.appendChild(
        el('span', {
          className: 'tl-parallel',
          'data-parallel': t.compensationsRanTogether ? 'true' : 'false',
          text: t.compensationsRanTogether ? 'dispatched together, running in parallel (Task.all)' : 'run in parallel',
        }),
      );
    }
    root.appendChild(header);
    for (const entry of entries) root.appendChild(timelineRow(entry));
  }

  if (t.markers.length > 0) {
    const track = el(
      'div',
      { className: 'tl-track' },
      t.markers.map((m) => {
        const mark = el('span', { className: `tl-marker ${m.kind}`, title: `${m.label} at ${formatClock(m.at)}` });
        mark.style.left = `calc(${m.atPct}% - 1px)`;
        return mark;
      }),
    );
    root.appendChild(
      el('div', { className: 'tl-row', 'data-group': 'markers' }, [
        el('div', { className: 'tl-label' }, [el('strong', { text: 'Instance events' })]),
        track,
        el('div', { className: 'tl-time' }),
      ]),
    );
    root.appendChild(
      el(
        'ul',
        { className: 'markers' },
        t.markers.map((m) => el('li', { 'data-marker': m.kind }, [`${formatClock(m.at)} – ${m.label}`])),
      ),
    );
  }
}

function timelineRow(entry: TimelineEntry): HTMLDivElement {
  const label = el('div', { className: 'tl-label' }, [
    el('strong', { text: entry.label }),
    el('span', { className: `badge ${entry.outcome}`, text: entry.outcome }),
  ]);
  const attempts = entry.attempts.length > 1 ? `${entry.attempts.length} attempts · ` : '';
  if (entry.detail || attempts)
    label.appendChild(el('div', { className: 'tl-detail', text: attempts + (entry.detail ?? '') }));
  const track = el(
    'div',
    { className: 'tl-track' },
    entry.attempts.map((a, index) => {
      const ended = a.endedAt ? formatClock(a.endedAt) : 'now';
      const bar = el('span', {
        className: `tl-bar ${a.outcome}`,
        title: `attempt ${index + 1}: ${formatClock(a.startedAt)} → ${ended} ${a.outcome}${a.error ? ` – ${a.error}` : ''}`,
      });
      bar.style.left = `${a.leftPct}%`;
      bar.style.width = `${a.widthPct}%`;
      return bar;
    }),
  );
  return el(
    'div',
    {
      className: 'tl-row',
      'data-entry-id': entry.id,
      'data-group': entry.group,
      'data-outcome': entry.outcome,
      'data-started-at': entry.startedAt ?? '',
      'data-ended-at': entry.endedAt ?? '',
    },
    [label, track, el('div', { className: 'tl-time', text: entry.durationText ?? '' })],
  );
}

const shownHistoryFields = new Set(['EventType', 'Timestamp', 'FunctionName', 'Name']);

function renderHistory(events: InstanceDetail['historyEvents']): void {
  byId('history-count').textContent = String(events.length);
  const body = clear(byId('history-body'));
  events.forEach((event, index) => {
    const rest = Object.fromEntries(Object.entries(event).filter(([key]) => !shownHistoryFields.has(key)));
    const text = (value: unknown): string =>
      value === undefined || value === null || value === ''
        ? ''
        : typeof value === 'string'
          ? value
          : JSON.stringify(value);
    body.appendChild(
      el('tr', { 'data-event-type': String(event.EventType) }, [
        el('td', { className: 'num', text: String(index + 1) }),
        el('td', { text: String(event.EventType) }),
        el('td', { className: 'num mono', text: text(event.Timestamp) }),
        el('td', { className: 'mono', text: text(event.FunctionName) || text(event.Name) }),
        el('td', null, [el('pre', { text: json(rest) })]),
      ]),
    );
  });
}

// ---- actions with confirmation ---------------------------------------------------------------

interface ActionTexts {
  readonly title: string;
  readonly ok: string;
  readonly text: string;
  /** The reason prefilled; the action sends one. */
  readonly reason?: string;
  readonly danger?: boolean;
  /** The action asks for an event name and data. */
  readonly event?: boolean;
}

const actionTexts: Readonly<Record<ActionName, ActionTexts>> = {
  terminate: {
    title: 'Terminate this instance?',
    ok: 'Terminate',
    reason: 'terminated in the saga monitor',
    danger: true,
    text: 'The orchestration stops where it is. Work already done is NOT compensated: stock or money may stay held, and the saga will be marked as needing attention.',
  },
  suspend: {
    title: 'Suspend this instance?',
    ok: 'Suspend',
    reason: 'suspended in the saga monitor',
    text: 'The orchestration pauses: an activity already running still finishes, nothing new starts until it is resumed.',
  },
  resume: {
    title: 'Resume this instance?',
    ok: 'Resume',
    reason: 'resumed in the saga monitor',
    text: 'The orchestration continues where it was suspended.',
  },
  restart: {
    title: 'Restart this instance?',
    ok: 'Restart',
    danger: true,
    text: 'A NEW instance starts with the same input, so the order is placed again: stock is reserved and money charged again. This instance stays as it is.',
  },
  purge: {
    title: 'Purge this instance?',
    ok: 'Purge',
    danger: true,
    text: 'The instance, its status and its history are deleted for good. Only finished instances can be purged.',
  },
  raiseEvent: {
    title: 'Raise an event?',
    ok: 'Raise event',
    event: true,
    text: 'The event is delivered to the orchestration. This saga waits for no events, so it is recorded in the history and otherwise ignored.',
  },
};

function openConfirm(action: string | null): void {
  if (!isActionName(action) || !state.detail) return;
  const texts = actionTexts[action];
  state.pendingAction = action;
  byId('confirm-title').textContent = texts.title;
  byId('confirm-instance').textContent = state.detail.instanceId;
  byId('confirm-text').textContent = texts.text;
  byId('confirm-text').className = texts.danger ? 'warning' : '';
  clear(byId('confirm-error'));
  const fields = clear(byId('confirm-fields'));
  if (texts.reason) {
    fields.appendChild(
      el('label', null, [
        'Reason (recorded in the history)',
        el('input', { type: 'text', id: 'confirm-reason', value: texts.reason, maxLength: 500 }),
      ]),
    );
  }
  if (texts.event) {
    fields.appendChild(
      el('label', null, [
        'Event name',
        el('input', { type: 'text', id: 'confirm-event-name', value: 'Approval', maxLength: 100 }),
      ]),
    );
    const data = el('textarea', { id: 'confirm-event-data', rows: 4, spellcheck: false });
    data.value = '{ "approvedBy": "ops" }';
    fields.appendChild(el('label', null, ['Event data (JSON)', data]));
  }
  const ok = button('confirm-ok');
  ok.textContent = texts.ok;
  ok.className = texts.danger ? 'danger' : 'primary';
  ok.disabled = false;
  dialog('confirm-dialog').showModal();
}

async function confirmAction(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const action = state.pendingAction;
  const id = state.detail?.instanceId;
  if (!action || !id) return;
  const errorBox = clear(byId('confirm-error'));
  const body: { reason?: string; name?: string; data?: unknown } = {};
  if (actionTexts[action].reason) body.reason = input('confirm-reason').value;
  if (actionTexts[action].event) {
    body.name = input('confirm-event-name').value.trim();
    const raw = byId('confirm-event-data', HTMLTextAreaElement).value.trim();
    if (raw) {
      try {
        body.data = JSON.parse(raw);
      } catch (error) {
        errorBox.appendChild(
          el('div', { className: 'error', text: `Event data is not valid JSON: ${errorMessage(error)}` }),
        );
        return;
      }
    }
  }
  const url = `${instancesUrl}/${encodeURIComponent(id)}`;
  const ok = button('confirm-ok');
  ok.disabled = true;
  // A look-again still pending from the last action must not read the instance while this one
  // changes it (after a purge it would find nothing).
  clearTimeout(followUpTimer);
  try {
    const result =
      action === 'purge'
        ? await call<ActionAnswer>('DELETE', url)
        : await call<ActionAnswer>('POST', `${url}/${action}`, body);
    ok.disabled = false;
    if (!result.ok) {
      errorBox.appendChild(problemNode(result, `Refused (HTTP ${result.status}):`));
      return;
    }
    dialog('confirm-dialog').close();
    actionDone(action, id, result.json ?? {});
  } catch (error) {
    ok.disabled = false;
    errorBox.appendChild(networkProblem(error));
  }
}

function actionDone(action: ActionName, id: string, answer: ActionAnswer): void {
  if (action === 'purge') {
    closeDetail();
    clear(byId('list-message')).appendChild(el('div', { className: 'success', role: 'status', text: `Purged ${id}.` }));
    void loadList();
    return;
  }
  const box = clear(byId('action-result'));
  const message = el('div', { className: 'success', role: 'status' }, [answer.message || `${action} requested`]);
  const restartedAs = answer.instanceId;
  if (action === 'restart' && restartedAs) {
    message.appendChild(document.createTextNode(' New instance: '));
    message.appendChild(
      el('button', {
        type: 'button',
        className: 'link mono',
        'data-restarted-as': restartedAs,
        text: restartedAs,
        onClick: () => void openDetail(restartedAs),
      }),
    );
  }
  box.appendChild(message);
  followUp(action, id, 0);
}

/** The status each action leads to; the orchestration applies it a moment after the answer. */
const settledBy: Readonly<Record<Exclude<ActionName, 'purge'>, readonly string[] | null>> = {
  terminate: ['Terminated', 'Completed', 'Failed'],
  suspend: ['Suspended', 'Completed', 'Failed', 'Terminated'],
  resume: ['Running', 'Completed', 'Failed', 'Terminated'],
  raiseEvent: null,
  restart: null,
};

let followUpTimer: ReturnType<typeof setTimeout> | undefined;

/** Looks again every half second until the action shows (at most 10 s), then refreshes the list. */
function followUp(action: Exclude<ActionName, 'purge'>, id: string, round: number): void {
  followUpTimer = setTimeout(() => {
    if (state.detailId !== id) {
      void loadList();
      return;
    }
    void loadDetail().then(() => {
      const wanted = settledBy[action];
      const settled = !wanted || (state.detail !== null && wanted.includes(state.detail.runtimeStatus));
      if (settled || round >= 20) void loadList();
      else followUp(action, id, round + 1);
    });
  }, 500);
}

// ---- start form ----------------------------------------------------------------------------

function selectExample(index: number): void {
  const example = examples[index];
  if (!example) return;
  byId('order-body', HTMLTextAreaElement).value = JSON.stringify(example.body, null, 2);
  byId('example-expect').textContent = `Expected: ${example.expect}`;
}

async function startOrder(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const key = input('idempotency-key').value.trim();
  const box = clear(byId('start-result'));
  const start = button('start-button');
  start.disabled = true;
  try {
    const result = await call<StartAnswer>(
      'POST',
      ordersUrl,
      byId('order-body', HTMLTextAreaElement).value,
      key ? { 'Idempotency-Key': key } : {},
    );
    start.disabled = false;
    const id = result.json?.id;
    if (result.status !== 202 || !id) {
      box.appendChild(problemNode(result, `Not started (HTTP ${result.status}):`));
      return;
    }
    box.appendChild(
      el('div', { className: 'success', role: 'status' }, [
        'Started saga ',
        el('button', {
          type: 'button',
          className: 'link mono',
          'data-started-id': id,
          text: id,
          onClick: () => void openDetail(id),
        }),
      ]),
    );
    restartPaging();
    void loadList();
  } catch (error) {
    start.disabled = false;
    box.appendChild(networkProblem(error));
  }
}

// ---- auto-refresh --------------------------------------------------------------------------

function activeCount(): number {
  let count = state.rows.filter((r) => r.active).length;
  const detail = state.detail;
  if (detail?.active && !state.rows.some((r) => r.instanceId === detail.instanceId)) count++;
  return count;
}

function updateRefreshState(): void {
  const count = activeCount();
  const on = input('auto-refresh').checked;
  byId('refresh-state').textContent =
    count === 0
      ? 'Nothing running'
      : `${count} running` + (on ? ` · refreshing every ${refreshEveryMs / 1000} s` : ' · auto-refresh off');
  document.body.setAttribute('data-active', String(count));
}

function tick(): void {
  if (!input('auto-refresh').checked || document.hidden) return;
  if (state.rows.some((r) => r.active)) void loadList();
  if (state.detail?.active) void loadDetail();
}

// ---- wiring --------------------------------------------------------------------------------

/** #instance=<id> opens that instance: links to one instance can be shared and bookmarked. */
function openFromHash(): void {
  const match = /^#instance=(.+)$/.exec(location.hash);
  if (!match?.[1]) return;
  const id = decodeURIComponent(match[1]);
  if (id !== state.detailId || !state.detail) void openDetail(id);
}

function init(): void {
  const exampleSelect = select('example-select');
  examples.forEach((example, index) =>
    exampleSelect.appendChild(el('option', { value: String(index), text: example.label })),
  );
  exampleSelect.addEventListener('change', () => selectExample(Number(exampleSelect.value)));
  selectExample(0);
  byId('start-form').addEventListener('submit', (event) => void startOrder(event));

  const filterForm = byId('filter-form', HTMLFormElement);
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clear(byId('list-message'));
    restartPaging();
    void loadList();
  });
  byId('filter-reset').addEventListener('click', () => {
    filterForm.reset();
    restartPaging();
    void loadList();
  });
  for (const id of ['created-from', 'created-to']) {
    byId(id).addEventListener('input', () => {
      select('range-preset').value = 'custom';
    });
  }
  byId('refresh-now').addEventListener('click', () => {
    void loadList();
    void loadDetail();
  });
  byId('page-next').addEventListener('click', () => {
    if (!state.nextToken) return;
    state.tokens[state.pageIndex + 1] = state.nextToken;
    state.pageIndex++;
    void loadList();
  });
  byId('page-prev').addEventListener('click', () => {
    if (state.pageIndex > 0) {
      state.pageIndex--;
      void loadList();
    }
  });
  byId('page-first').addEventListener('click', () => {
    state.pageIndex = 0;
    void loadList();
  });
  byId('auto-refresh').addEventListener('change', updateRefreshState);

  byId('detail-close').addEventListener('click', closeDetail);
  for (const actionButton of actionButtons()) {
    actionButton.addEventListener('click', () => openConfirm(actionButton.getAttribute('data-action')));
  }
  byId('confirm-form').addEventListener('submit', (event) => void confirmAction(event));
  byId('confirm-cancel').addEventListener('click', () => dialog('confirm-dialog').close());

  setInterval(tick, refreshEveryMs);
  void loadList();
  openFromHash();
  window.addEventListener('hashchange', openFromHash);
}

init();
