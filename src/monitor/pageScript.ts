// The monitor page's script: plain browser JavaScript (no framework, no build step), inlined into
// the page and allowed by its hash in the Content-Security-Policy. It only shows what the JSON
// endpoints computed (rows, timeline, allowed actions) and sends actions back.
//
// Everything from users (instance ids, order fields, event names, reasons, history) reaches the
// DOM through textContent or createTextNode, never through innerHTML, so the browser never parses
// it as markup. Styles are set through element.style (CSSOM), which the CSP permits, never through
// style attributes.
//
// In Azure the endpoints need a function key: open the page as /api/monitor?code=<host key> and
// the script sends the key as x-functions-key with every call. A host key is needed rather than a
// function key because the page calls several functions (the monitor's and POST /api/orders).

export const pageScript = String.raw`
(function () {
  'use strict';

  var basePath = location.pathname.replace(/\/+$/, '');
  var instancesUrl = basePath + '/instances';
  var ordersUrl = basePath.replace(/\/monitor$/, '/orders');
  var figuresUrl = basePath.replace(/\/monitor$/, '/saga-metrics');
  var functionKey = new URLSearchParams(location.search).get('code');
  var examples = JSON.parse(byId('order-examples').textContent || '[]');
  var refreshEveryMs = 2000;

  var state = {
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
    detailAgain: false
  };

  // ---- small DOM helpers ------------------------------------------------------------------

  function byId(id) { return document.getElementById(id); }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null || value === false) return;
        if (key === 'text') node.textContent = String(value);
        else if (key === 'className') node.className = value;
        else if (key === 'onClick') node.addEventListener('click', value);
        else if (key.indexOf('data-') === 0 || key === 'title' || key === 'type' || key === 'role' || key === 'value' || key === 'aria-label') node.setAttribute(key, String(value));
        else node[key] = value;
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function pad(n, width) { var s = String(n); while (s.length < (width || 2)) s = '0' + s; return s; }

  /** Local time, to the second: what a person compares with their clock. */
  function formatTime(iso) {
    if (!iso) return '–';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function formatClock(iso) {
    if (!iso) return '?';
    var d = new Date(iso);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }

  function toLocalInput(date) {
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + 'T' +
      pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds());
  }

  function localInputToIso(value) {
    if (!value) return null;
    var d = new Date(value);
    return isNaN(d.getTime()) ? null : d.toISOString();
  }

  function json(value) {
    if (value === undefined || value === null) return 'null';
    return JSON.stringify(value, null, 2);
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  function call(method, url, body, extraHeaders) {
    var headers = { 'Accept': 'application/json' };
    if (functionKey) headers['x-functions-key'] = functionKey;
    Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
    var init = { method: method, headers: headers, cache: 'no-store', credentials: 'same-origin' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
        return { status: response.status, ok: response.ok, json: parsed, text: text };
      });
    });
  }

  /** The app's 4xx bodies are { errors: [{ path, message }] }: show each one. */
  function problemNode(result, intro) {
    var box = el('div', { className: 'error', role: 'alert' }, [intro || ('HTTP ' + result.status)]);
    var errors = result.json && Array.isArray(result.json.errors) ? result.json.errors : null;
    if (errors) {
      box.appendChild(el('ul', null, errors.map(function (e) {
        return el('li', null, [el('code', { text: e.path }), ' ', String(e.message)]);
      })));
    } else if (result.text) {
      box.appendChild(el('div', { className: 'mono', text: result.text.slice(0, 500) }));
    }
    return box;
  }

  function networkProblem(error) {
    return el('div', { className: 'error', role: 'alert', text: 'The monitor could not be reached: ' + (error && error.message ? error.message : String(error)) });
  }

  // ---- list ----------------------------------------------------------------------------------

  function listQuery() {
    var params = new URLSearchParams();
    var statuses = Array.prototype.slice.call(document.querySelectorAll('input[name=status]:checked')).map(function (i) { return i.value; });
    if (statuses.length > 0) params.set('status', statuses.join(','));
    var preset = byId('range-preset').value;
    if (preset && preset !== 'custom') {
      byId('created-from').value = toLocalInput(new Date(Date.now() - Number(preset) * 60000));
      byId('created-to').value = '';
    }
    var from = localInputToIso(byId('created-from').value);
    var to = localInputToIso(byId('created-to').value);
    if (from) params.set('createdFrom', from);
    if (to) params.set('createdTo', to);
    var prefix = byId('id-prefix').value.trim();
    if (prefix) params.set('idPrefix', prefix);
    params.set('pageSize', byId('page-size').value);
    if (byId('include-steps').checked) params.set('includeSteps', 'true');
    var token = state.tokens[state.pageIndex];
    if (token) params.set('continuationToken', token);
    return params;
  }

  /**
   * One list request at a time. A request made while one is on its way is not dropped: the list
   * loads once more afterwards, so what is shown is never older than the last change (a purge,
   * a new filter).
   */
  function loadList() {
    if (state.loadingList) { state.listAgain = true; return state.loadingList; }
    state.loadingList = loadListOnce().then(function () {
      state.loadingList = null;
      if (state.listAgain) { state.listAgain = false; return loadList(); }
    });
    return state.loadingList;
  }

  /** Saga figures (GET /api/saga-metrics): outcomes and latency percentiles, refreshed with the list. */
  function loadFigures() {
    return call('GET', figuresUrl).then(function (result) {
      if (!result.ok || !result.json) return;
      var f = result.json;
      var ms = function (v) { return v === null || v === undefined ? '–' : Math.round(v) + ' ms'; };
      var rows = [
        ['Sagas', String(f.total)],
        ['Running', String(f.outcomes.running)],
        ['Completed', String(f.outcomes.completed)],
        ['Rejected at A / B / C', f.outcomes.rejectedAt.A + ' / ' + f.outcomes.rejectedAt.B + ' / ' + f.outcomes.rejectedAt.C],
        ['Failed', String(f.outcomes.failed)],
        ['Needs attention', String(f.outcomes.needsAttention)],
        ['End to end p50 / p95 / p99', ms(f.latency.endToEnd.p50Ms) + ' / ' + ms(f.latency.endToEnd.p95Ms) + ' / ' + ms(f.latency.endToEnd.p99Ms)]
      ];
      ['A', 'B', 'C'].forEach(function (step) {
        var l = f.latency.steps[step];
        rows.push(['Step ' + step + ' p50 / p95', ms(l.p50Ms) + ' / ' + ms(l.p95Ms)]);
      });
      var list = clear(byId('figures'));
      rows.forEach(function (row) {
        list.appendChild(el('dt', { text: row[0] }));
        list.appendChild(el('dd', { text: row[1], 'data-figure': row[0] }));
      });
    }, function () { /* figures are extra: the list shows its own errors */ });
  }

  function loadListOnce() {
    loadFigures();
    var query = listQuery().toString();
    return call('GET', instancesUrl + '?' + query).then(function (result) {
      var box = clear(byId('list-error'));
      if (!result.ok) { box.appendChild(problemNode(result, 'The list could not be read (HTTP ' + result.status + '):')); return; }
      state.rows = result.json.instances || [];
      state.nextToken = result.json.continuationToken || null;
      // Which query the rows answer: lets a person (and a test) tell a fresh list from a stale one.
      byId('instances').setAttribute('data-query', query);
      renderList();
    }, function (error) {
      clear(byId('list-error')).appendChild(networkProblem(error));
    }).then(updateRefreshState);
  }

  function statusBadge(status) {
    return el('span', { className: 'badge ' + status, 'data-runtime-status': status, text: status });
  }

  function renderList() {
    var body = clear(byId('instances-body'));
    state.rows.forEach(function (row) {
      var open = el('button', { type: 'button', className: 'link mono', text: row.instanceId, title: 'Open ' + row.instanceId, onClick: function () { openDetail(row.instanceId); } });
      var saga = el('td', null, [row.sagaStatus]);
      if (row.needsAttention) { saga.appendChild(document.createTextNode(' ')); saga.appendChild(el('span', { className: 'badge attention', text: 'needs attention' })); }
      var tr = el('tr', { 'data-instance-id': row.instanceId, 'data-runtime-status': row.runtimeStatus }, [
        el('td', null, [open, el('div', { className: 'muted', text: row.name })]),
        el('td', null, [statusBadge(row.runtimeStatus)]),
        saga,
        el('td', { className: 'num', text: formatTime(row.createdTime), title: row.createdTime || '' }),
        el('td', { className: 'num', text: formatTime(row.lastUpdatedTime), title: row.lastUpdatedTime || '' }),
        el('td', { className: 'num', text: row.durationText })
      ]);
      if (row.instanceId === state.detailId) tr.className = 'selected';
      body.appendChild(tr);
    });
    byId('list-empty').hidden = state.rows.length > 0;
    byId('page-prev').disabled = state.pageIndex === 0;
    byId('page-first').disabled = state.pageIndex === 0;
    byId('page-next').disabled = !state.nextToken;
    byId('page-info').textContent = 'Page ' + (state.pageIndex + 1) + ' · ' + state.rows.length + ' shown' + (state.nextToken ? ' · more on the next page' : '');
  }

  function restartPaging() { state.tokens = [null]; state.pageIndex = 0; state.nextToken = null; }

  // ---- detail --------------------------------------------------------------------------------

  function openDetail(id) {
    if (id !== state.detailId) byId('detail-body').hidden = true;
    state.detailId = id;
    state.detail = null;
    clear(byId('action-result'));
    clear(byId('detail-error'));
    if (location.hash !== '#instance=' + encodeURIComponent(id)) history.replaceState(null, '', location.pathname + location.search + '#instance=' + encodeURIComponent(id));
    byId('detail-panel').hidden = false;
    byId('detail-id').textContent = id;
    renderList();
    return loadDetail().then(function () { byId('detail-panel').scrollIntoView({ block: 'start' }); });
  }

  function closeDetail() {
    state.detailId = null;
    state.detail = null;
    byId('detail-panel').hidden = true;
    history.replaceState(null, '', location.pathname + location.search);
    renderList();
  }

  /** Like loadList: one request at a time, and one more if asked while it ran. */
  function loadDetail() {
    if (!state.detailId) return Promise.resolve();
    if (state.loadingDetail) { state.detailAgain = true; return state.loadingDetail; }
    state.loadingDetail = loadDetailOnce().then(function () {
      state.loadingDetail = null;
      if (state.detailAgain) { state.detailAgain = false; return loadDetail(); }
    });
    return state.loadingDetail;
  }

  function loadDetailOnce() {
    var id = state.detailId;
    return call('GET', instancesUrl + '/' + encodeURIComponent(id)).then(function (result) {
      if (id !== state.detailId) return;
      var box = clear(byId('detail-error'));
      if (!result.ok) {
        state.detail = null;
        byId('detail-body').hidden = true;
        box.appendChild(problemNode(result, result.status === 404 ? 'No such instance (it may have been purged):' : 'The instance could not be read (HTTP ' + result.status + '):'));
        return;
      }
      state.detail = result.json;
      byId('detail-body').hidden = false;
      renderDetail(result.json);
    }, function (error) {
      clear(byId('detail-error')).appendChild(networkProblem(error));
    }).then(updateRefreshState);
  }

  function fact(label, value) { return [el('dt', { text: label }), el('dd', null, [value])]; }

  function renderDetail(d) {
    byId('detail-id').textContent = d.instanceId;
    var saga = el('span', null, [d.sagaStatus]);
    if (d.needsAttention) { saga.appendChild(document.createTextNode(' ')); saga.appendChild(el('span', { className: 'badge attention', text: 'needs attention' })); }
    var facts = clear(byId('detail-facts'));
    [].concat(
      fact('Runtime status', statusBadge(d.runtimeStatus)),
      fact('Saga status', saga),
      fact('Orchestrator', el('span', { className: 'mono', text: d.name })),
      fact('Created', el('span', { text: formatTime(d.createdTime), title: d.createdTime || '' })),
      fact('Last updated', el('span', { text: formatTime(d.lastUpdatedTime), title: d.lastUpdatedTime || '' })),
      fact('Duration', el('span', { text: d.durationText }))
    ).forEach(function (node) { facts.appendChild(node); });

    var steps = clear(byId('detail-steps'));
    if (d.stepInstances && d.stepInstances.length > 0) {
      steps.appendChild(document.createTextNode('Step sub-orchestrations: '));
      d.stepInstances.forEach(function (step, index) {
        if (index > 0) steps.appendChild(document.createTextNode(' · '));
        steps.appendChild(el('button', { type: 'button', className: 'link mono', text: step.instanceId, onClick: function () { openDetail(step.instanceId); } }));
        steps.appendChild(document.createTextNode(' ' + step.runtimeStatus));
      });
    }

    Array.prototype.forEach.call(document.querySelectorAll('#detail-actions button[data-action]'), function (button) {
      var action = button.getAttribute('data-action');
      button.disabled = !d.actions[action];
      button.title = d.actions[action] ? '' : 'Not possible while the instance is ' + d.runtimeStatus;
    });

    renderTimeline(d.timeline);
    byId('detail-input').textContent = json(d.input);
    byId('detail-output').textContent = json(d.output);
    byId('detail-custom-status').textContent = json(d.customStatus);
    renderHistory(d.historyEvents);
  }

  var groupTitles = { forward: 'Steps', compensations: 'Compensations', incidents: 'Incident records' };

  function renderTimeline(t) {
    var root = clear(byId('timeline'));
    root.setAttribute('data-live', t.live ? 'true' : 'false');
    var ticks = el('div', { className: 'ticks' }, t.ticks.map(function (tick) {
      var node = el('span', { className: 'tick', text: tick.label });
      node.style.left = tick.pct + '%';
      return node;
    }));
    root.appendChild(el('div', { className: 'tl-axis' }, [
      el('span', { text: t.startedAt ? 'from ' + formatClock(t.startedAt) : '' }),
      ticks,
      el('span', { className: 'tl-time', text: t.spanText + (t.live ? ' so far' : '') })
    ]));

    ['forward', 'compensations', 'incidents'].forEach(function (group) {
      var entries = t.entries.filter(function (e) { return e.group === group; });
      if (entries.length === 0) return;
      var header = el('div', { className: 'tl-group', 'data-group': group }, [el('span', { text: groupTitles[group] })]);
      if (group === 'compensations' && entries.length > 1) {
        header.appendChild(el('span', {
          className: 'tl-parallel',
          'data-parallel': t.compensationsRanTogether ? 'true' : 'false',
          text: t.compensationsRanTogether ? 'dispatched together, running in parallel (Task.all)' : 'run in parallel'
        }));
      }
      root.appendChild(header);
      entries.forEach(function (entry) { root.appendChild(timelineRow(entry)); });
    });

    if (t.markers.length > 0) {
      var track = el('div', { className: 'tl-track' }, t.markers.map(function (m) {
        var mark = el('span', { className: 'tl-marker ' + m.kind, title: m.label + ' at ' + formatClock(m.at) });
        mark.style.left = 'calc(' + m.atPct + '% - 1px)';
        return mark;
      }));
      root.appendChild(el('div', { className: 'tl-row', 'data-group': 'markers' }, [
        el('div', { className: 'tl-label' }, [el('strong', { text: 'Instance events' })]),
        track,
        el('div', { className: 'tl-time' })
      ]));
      root.appendChild(el('ul', { className: 'markers' }, t.markers.map(function (m) {
        return el('li', { 'data-marker': m.kind }, [formatClock(m.at) + ' – ' + m.label]);
      })));
    }
  }

  function timelineRow(entry) {
    var label = el('div', { className: 'tl-label' }, [
      el('strong', { text: entry.label }),
      el('span', { className: 'badge ' + entry.outcome, text: entry.outcome })
    ]);
    var attempts = entry.attempts.length > 1 ? entry.attempts.length + ' attempts · ' : '';
    if (entry.detail || attempts) label.appendChild(el('div', { className: 'tl-detail', text: attempts + (entry.detail || '') }));
    var track = el('div', { className: 'tl-track' }, entry.attempts.map(function (a, index) {
      var bar = el('span', {
        className: 'tl-bar ' + a.outcome,
        title: 'attempt ' + (index + 1) + ': ' + formatClock(a.startedAt) + ' → ' + (a.endedAt ? formatClock(a.endedAt) : 'now') + ' ' + a.outcome + (a.error ? ' – ' + a.error : '')
      });
      bar.style.left = a.leftPct + '%';
      bar.style.width = a.widthPct + '%';
      return bar;
    }));
    return el('div', {
      className: 'tl-row',
      'data-entry-id': entry.id,
      'data-group': entry.group,
      'data-outcome': entry.outcome,
      'data-started-at': entry.startedAt || '',
      'data-ended-at': entry.endedAt || ''
    }, [label, track, el('div', { className: 'tl-time', text: entry.durationText || '' })]);
  }

  function renderHistory(events) {
    byId('history-count').textContent = String(events.length);
    var body = clear(byId('history-body'));
    events.forEach(function (event, index) {
      var rest = {};
      Object.keys(event).forEach(function (key) {
        if (key !== 'EventType' && key !== 'Timestamp' && key !== 'FunctionName' && key !== 'Name') rest[key] = event[key];
      });
      body.appendChild(el('tr', { 'data-event-type': String(event.EventType) }, [
        el('td', { className: 'num', text: String(index + 1) }),
        el('td', { text: String(event.EventType) }),
        el('td', { className: 'num mono', text: String(event.Timestamp || '') }),
        el('td', { className: 'mono', text: String(event.FunctionName || event.Name || '') }),
        el('td', null, [el('pre', { text: json(rest) })])
      ]));
    });
  }

  // ---- actions with confirmation ---------------------------------------------------------------

  var actionTexts = {
    terminate: { title: 'Terminate this instance?', ok: 'Terminate', reason: 'terminated in the saga monitor', danger: true,
      text: 'The orchestration stops where it is. Work already done is NOT compensated: stock or money may stay held, and the saga will be marked as needing attention.' },
    suspend: { title: 'Suspend this instance?', ok: 'Suspend', reason: 'suspended in the saga monitor',
      text: 'The orchestration pauses: an activity already running still finishes, nothing new starts until it is resumed.' },
    resume: { title: 'Resume this instance?', ok: 'Resume', reason: 'resumed in the saga monitor',
      text: 'The orchestration continues where it was suspended.' },
    restart: { title: 'Restart this instance?', ok: 'Restart', danger: true,
      text: 'A NEW instance starts with the same input, so the order is placed again: stock is reserved and money charged again. This instance stays as it is.' },
    purge: { title: 'Purge this instance?', ok: 'Purge', danger: true,
      text: 'The instance, its status and its history are deleted for good. Only finished instances can be purged.' },
    raiseEvent: { title: 'Raise an event?', ok: 'Raise event', event: true,
      text: 'The event is delivered to the orchestration. This saga waits for no events, so it is recorded in the history and otherwise ignored.' }
  };

  function openConfirm(action) {
    var texts = actionTexts[action];
    if (!texts || !state.detail) return;
    state.pendingAction = action;
    byId('confirm-title').textContent = texts.title;
    byId('confirm-instance').textContent = state.detail.instanceId;
    byId('confirm-text').textContent = texts.text;
    byId('confirm-text').className = texts.danger ? 'warning' : '';
    clear(byId('confirm-error'));
    var fields = clear(byId('confirm-fields'));
    if (texts.reason) {
      fields.appendChild(el('label', null, ['Reason (recorded in the history)',
        el('input', { type: 'text', id: 'confirm-reason', value: texts.reason, maxLength: 500 })]));
    }
    if (texts.event) {
      fields.appendChild(el('label', null, ['Event name', el('input', { type: 'text', id: 'confirm-event-name', value: 'Approval', maxLength: 100 })]));
      var data = el('textarea', { id: 'confirm-event-data', rows: 4, spellcheck: false });
      data.value = '{ "approvedBy": "ops" }';
      fields.appendChild(el('label', null, ['Event data (JSON)', data]));
    }
    var ok = byId('confirm-ok');
    ok.textContent = texts.ok;
    ok.className = texts.danger ? 'danger' : 'primary';
    ok.disabled = false;
    byId('confirm-dialog').showModal();
  }

  function confirmAction(event) {
    event.preventDefault();
    var action = state.pendingAction;
    var id = state.detail && state.detail.instanceId;
    if (!action || !id) return;
    var errorBox = clear(byId('confirm-error'));
    var body = {};
    if (actionTexts[action].reason) body.reason = byId('confirm-reason').value;
    if (actionTexts[action].event) {
      body.name = byId('confirm-event-name').value.trim();
      var raw = byId('confirm-event-data').value.trim();
      if (raw) {
        try { body.data = JSON.parse(raw); } catch (e) { errorBox.appendChild(el('div', { className: 'error', text: 'Event data is not valid JSON: ' + e.message })); return; }
      }
    }
    var url = instancesUrl + '/' + encodeURIComponent(id);
    var sent = action === 'purge' ? call('DELETE', url) : call('POST', url + '/' + action, body);
    byId('confirm-ok').disabled = true;
    sent.then(function (result) {
      byId('confirm-ok').disabled = false;
      if (!result.ok) { errorBox.appendChild(problemNode(result, 'Refused (HTTP ' + result.status + '):')); return; }
      byId('confirm-dialog').close();
      actionDone(action, id, result.json || {});
    }, function (error) {
      byId('confirm-ok').disabled = false;
      errorBox.appendChild(networkProblem(error));
    });
  }

  function actionDone(action, id, answer) {
    if (action === 'purge') {
      closeDetail();
      clear(byId('list-message')).appendChild(el('div', { className: 'success', role: 'status', text: 'Purged ' + id + '.' }));
      loadList();
      return;
    }
    var box = clear(byId('action-result'));
    var message = el('div', { className: 'success', role: 'status' }, [answer.message || (action + ' requested')]);
    if (action === 'restart' && answer.instanceId) {
      message.appendChild(document.createTextNode(' New instance: '));
      message.appendChild(el('button', { type: 'button', className: 'link mono', 'data-restarted-as': answer.instanceId, text: answer.instanceId, onClick: function () { openDetail(answer.instanceId); } }));
    }
    box.appendChild(message);
    followUp(action, id, 0);
  }

  /** The status each action leads to; the orchestration applies it a moment after the answer. */
  var settledBy = {
    terminate: ['Terminated', 'Completed', 'Failed'],
    suspend: ['Suspended', 'Completed', 'Failed', 'Terminated'],
    resume: ['Running', 'Completed', 'Failed', 'Terminated'],
    raiseEvent: null,
    restart: null
  };

  /** Looks again every half second until the action shows (at most 10 s), then refreshes the list. */
  function followUp(action, id, round) {
    setTimeout(function () {
      if (state.detailId !== id) { loadList(); return; }
      loadDetail().then(function () {
        var wanted = settledBy[action];
        var settled = !wanted || (state.detail && wanted.indexOf(state.detail.runtimeStatus) >= 0);
        if (settled || round >= 20) loadList();
        else followUp(action, id, round + 1);
      });
    }, 500);
  }

  // ---- start form ----------------------------------------------------------------------------

  function selectExample(index) {
    var example = examples[index];
    if (!example) return;
    byId('order-body').value = JSON.stringify(example.body, null, 2);
    byId('example-expect').textContent = 'Expected: ' + example.expect;
  }

  function startOrder(event) {
    event.preventDefault();
    var key = byId('idempotency-key').value.trim();
    var box = clear(byId('start-result'));
    byId('start-button').disabled = true;
    call('POST', ordersUrl, byId('order-body').value, key ? { 'Idempotency-Key': key } : {}).then(function (result) {
      byId('start-button').disabled = false;
      if (result.status !== 202 || !result.json || !result.json.id) {
        box.appendChild(problemNode(result, 'Not started (HTTP ' + result.status + '):'));
        return;
      }
      var id = result.json.id;
      box.appendChild(el('div', { className: 'success', role: 'status' }, ['Started saga ',
        el('button', { type: 'button', className: 'link mono', 'data-started-id': id, text: id, onClick: function () { openDetail(id); } })]));
      restartPaging();
      loadList();
    }, function (error) {
      byId('start-button').disabled = false;
      box.appendChild(networkProblem(error));
    });
  }

  // ---- auto-refresh --------------------------------------------------------------------------

  function activeCount() {
    var count = state.rows.filter(function (r) { return r.active; }).length;
    if (state.detail && state.detail.active && !state.rows.some(function (r) { return r.instanceId === state.detail.instanceId; })) count++;
    return count;
  }

  function updateRefreshState() {
    var count = activeCount();
    var on = byId('auto-refresh').checked;
    byId('refresh-state').textContent = count === 0
      ? 'Nothing running'
      : count + ' running' + (on ? ' · refreshing every ' + (refreshEveryMs / 1000) + ' s' : ' · auto-refresh off');
    document.body.setAttribute('data-active', String(count));
  }

  function tick() {
    if (!byId('auto-refresh').checked || document.hidden) return;
    if (state.rows.some(function (r) { return r.active; })) loadList();
    if (state.detail && state.detail.active) loadDetail();
  }

  // ---- wiring --------------------------------------------------------------------------------

  function init() {
    var select = byId('example-select');
    examples.forEach(function (example, index) { select.appendChild(el('option', { value: String(index), text: example.label })); });
    select.addEventListener('change', function () { selectExample(Number(select.value)); });
    selectExample(0);
    byId('start-form').addEventListener('submit', startOrder);

    byId('filter-form').addEventListener('submit', function (event) { event.preventDefault(); clear(byId('list-message')); restartPaging(); loadList(); });
    byId('filter-reset').addEventListener('click', function () {
      byId('filter-form').reset();
      restartPaging();
      loadList();
    });
    ['created-from', 'created-to'].forEach(function (id) {
      byId(id).addEventListener('input', function () { byId('range-preset').value = 'custom'; });
    });
    byId('refresh-now').addEventListener('click', function () { loadList(); loadDetail(); });
    byId('page-next').addEventListener('click', function () {
      if (!state.nextToken) return;
      state.tokens[state.pageIndex + 1] = state.nextToken;
      state.pageIndex++;
      loadList();
    });
    byId('page-prev').addEventListener('click', function () { if (state.pageIndex > 0) { state.pageIndex--; loadList(); } });
    byId('page-first').addEventListener('click', function () { state.pageIndex = 0; loadList(); });
    byId('auto-refresh').addEventListener('change', updateRefreshState);

    byId('detail-close').addEventListener('click', closeDetail);
    Array.prototype.forEach.call(document.querySelectorAll('#detail-actions button[data-action]'), function (button) {
      button.addEventListener('click', function () { openConfirm(button.getAttribute('data-action')); });
    });
    byId('confirm-form').addEventListener('submit', confirmAction);
    byId('confirm-cancel').addEventListener('click', function () { byId('confirm-dialog').close(); });

    setInterval(tick, refreshEveryMs);
    loadList();
    openFromHash();
    window.addEventListener('hashchange', openFromHash);
  }

  /** #instance=<id> opens that instance: links to one instance can be shared and bookmarked. */
  function openFromHash() {
    var match = /^#instance=(.+)$/.exec(location.hash);
    if (!match) return;
    var id = decodeURIComponent(match[1]);
    if (id !== state.detailId || !state.detail) openDetail(id);
  }

  init();
})();
`;
