import fc from 'fast-check';
import type { RawRequest } from './rawHttp';

// Generated malformed requests for every route family of the saga app on the local host: the
// app's routes under /api, the Durable HTTP API (orchestrators, instances, entities) and
// /admin/metrics. Each one is wrong somewhere (header, query value, body, id, method, size or
// encoding), and none of them may start an instance: where a route could start one (orders, the
// Durable API's start), every generated request carries at least one defect that must stop it.

export interface FuzzTarget {
  /** The port the host listens on, for a valid Host header. */
  port: number;
  hubName: string;
  /** A valid order body (JSON text). */
  validOrder: string;
}

const API = '/runtime/webhooks/durabletask';

/** Values that break parsers: empty, huge, out-of-range dates, bad percent-encoding, prototype keys. */
const nastyValues = [
  '',
  ' ',
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '..',
  '../..',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1.5',
  '1e309',
  '9'.repeat(400),
  'x'.repeat(3000),
  '+275760-09-13T00:00:00Z',
  '%2B275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:30:00-01:00',
  '__proto__',
  'constructor',
  'true',
  '{}',
  '[]',
  '"',
  "'",
  '<script>alert(1)</script>',
  '\u0000',
  'é',
  '\ud800',
  '😀',
  'a@b:c@d',
];

const junk: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nastyValues) },
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...Array.from('%@[]:/?#&=+; \t"\\')), maxLength: 12 }) },
);

/** A value put into a URL: percent-encoded (as a client should) or raw (as a broken one does). */
function inUrl(value: string, encoded: boolean): string {
  if (!encoded) return value;
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate cannot be encoded: send it as it is.
    return value;
  }
}

const urlJunk: fc.Arbitrary<string> = fc
  .tuple(junk, fc.constantFrom(true, true, true, false))
  .map(([value, encoded]) => inUrl(value, encoded));

/** Times at and beyond the edges of what .NET and table storage hold, and times that are not quite ISO. */
const dateJunk = fc.constantFrom(
  '%2B275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '9999-12-31T23:30:00-01:00',
  '2025-13-01T00:00:00Z',
  '2025-03-01',
  '2025-03-01T10:00:00%2B25:00',
  'yesterday',
  '1',
);

function query(names: readonly string[]): fc.Arbitrary<string> {
  const value = (name: string): fc.Arbitrary<string> => (/created/i.test(name) ? fc.oneof(urlJunk, dateJunk) : urlJunk);
  const pair = fc.oneof(fc.constantFrom(...names), urlJunk).chain((name) => value(name).map((v) => `${name}=${v}`));
  return fc.array(pair, { maxLength: 4 }).map((pairs) => (pairs.length > 0 ? `?${pairs.join('&')}` : ''));
}

const anyMethod = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'FOO', 'get');

const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonp',
  'application/xml',
  '',
];

/** Extra headers a client may add; some are wrong, some are merely unusual. */
const extraHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(fc.constant('Content-Type'), fc.oneof(fc.constantFrom(...contentTypes), junk)),
  fc.tuple(fc.constant('x-ms-continuation-token'), junk),
  fc.tuple(fc.constant('Idempotency-Key'), junk),
  fc.tuple(fc.constant('Sec-Fetch-Site'), fc.oneof(fc.constantFrom('cross-site', 'same-site', 'none'), junk)),
  fc.tuple(fc.constant('Accept'), junk),
  fc.tuple(fc.constant('Content-Encoding'), fc.constantFrom('gzip', 'br', 'identity', 'x-junk')),
  fc.tuple(fc.constant('Cookie'), junk),
  fc.tuple(fc.constant('x-functions-key'), junk),
  fc.tuple(fc.constant('X-Oversized'), fc.constant('a'.repeat(20_000))),
  fc.tuple(fc.constant('Transfer-Encoding'), fc.constantFrom('chunked', 'gzip, chunked', 'x-junk')),
  fc.tuple(
    junk.filter((name) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)),
    junk,
  ),
);

function hostHeader(target: FuzzTarget): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(`127.0.0.1:${target.port}`) },
    { weight: 1, arbitrary: fc.constantFrom('a b', '[', '%', 'x:abc', '', 'a@b:c@d', 'localhost:99999', '[::1') },
    { weight: 1, arbitrary: junk },
  );
}

const invalidJson = fc.constantFrom('{', '[1,', 'nope', '{"a":}', "'x'", 'undefined', 'NaN', '{"a":1}}', '\u0000', '[');

const bodies: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  invalidJson,
  junk,
  fc.json({ maxDepth: 3 }),
  fc.constant('['.repeat(5_000)),
  fc.constant(`{"a":"${'x'.repeat(70_000)}"}`),
);

interface Parts {
  method: string;
  path: string;
  headers?: [string, string][];
  body?: string;
  /** The defect is in the headers given here: no extra header may add a Content-Type. */
  ownContentType?: boolean;
  /** The defect is in the body: it must arrive whole (a cut or unframed body could be empty, which is valid). */
  wholeBody?: boolean;
}

/** Puts a request together: Host first, then the route's headers, extras, and the body's framing. */
function assemble(target: FuzzTarget, parts: fc.Arbitrary<Parts>): fc.Arbitrary<RawRequest> {
  return fc
    .record({
      parts,
      host: hostHeader(target),
      extras: fc.array(extraHeader, { maxLength: 2 }),
      framing: fc.constantFrom('exact', 'exact', 'exact', 'exact', 'short', 'none'),
    })
    .map(({ parts: p, host, extras, framing: chosen }) => {
      const body = Buffer.from(p.body ?? '', 'utf8');
      const framing = p.wholeBody ? 'exact' : chosen;
      const allowed = extras.filter(
        ([name]) =>
          !(p.ownContentType && /^content-type$/i.test(name)) &&
          !(p.wholeBody && /^(content-length|transfer-encoding)$/i.test(name)),
      );
      const headers: [string, string][] = [['Host', host], ...(p.headers ?? []), ...allowed];
      const chunked = headers.some(([name, value]) => /^transfer-encoding$/i.test(name) && /chunked\s*$/i.test(value));
      if (chunked) {
        // A chunked body is sent as chunks (with its last, empty one), or the server rightly waits for the rest.
        const chunks = body.length > 0 ? [`${body.length.toString(16)}\r\n`, body, '\r\n'] : [];
        return {
          method: p.method,
          target: p.path,
          headers,
          body: Buffer.concat([...chunks, '0\r\n\r\n'].map((c) => Buffer.from(c))),
        };
      }
      if (body.length > 0 && framing !== 'none') {
        const declared = framing === 'short' ? Math.floor(body.length / 2) : body.length;
        headers.push(['Content-Length', String(declared)]);
      }
      return { method: p.method, target: p.path, headers, body };
    });
}

/** POST /api/orders, always with a defect that must stop the saga from starting. */
function orders(target: FuzzTarget): fc.Arbitrary<Parts> {
  const order = JSON.parse(target.validOrder) as Record<string, unknown>;
  const line = (order.lines as Record<string, unknown>[])[0];
  const withOrder = (change: (o: Record<string, unknown>) => void): string => {
    const copy = structuredClone(order);
    change(copy);
    return JSON.stringify(copy);
  };
  const brokenOrder = fc.constantFrom(
    withOrder((o) => ((o.lines as Record<string, unknown>[])[0] = { ...line, quantity: 0 })),
    withOrder((o) => ((o.lines as Record<string, unknown>[])[0] = { ...line, quantity: '1' })),
    withOrder((o) => ((o.lines as Record<string, unknown>[])[0] = { ...line, sku: 'sku-lower' })),
    withOrder((o) => ((o.lines as Record<string, unknown>[])[0] = { ...line, unitPriceCents: 1.5 })),
    withOrder((o) => (o.cardNumber = '4111111111111111')),
    withOrder((o) => (o.lines = [])),
    withOrder((o) => (o.currency = 'eur')),
    withOrder((o) => (o.customerId = '')),
    withOrder((o) => (o.shipTo = { ...(o.shipTo as object), country: 'nl' })),
    withOrder((o) => (o.instanceId = 'bad id')),
    // A literal "__proto__" key (assigning one would set the prototype and leave a valid order).
    target.validOrder.replace('{', '{"__proto__":{"polluted":true},'),
    JSON.stringify([order]),
    'null',
  );
  const json = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON');
  const notJson = fc.constantFrom(
    ...contentTypes.filter(
      (t) => !t.startsWith('application/json ') && t !== 'application/json' && !t.startsWith('application/json;'),
    ),
  );
  const badKey = fc
    .tuple(fc.constantFrom('!', '/', '?', '#', '.', ' x', 'é', '%'), fc.string({ maxLength: 10 }))
    .map(([bad, rest]) => `k${bad}${rest}`);
  const defect: fc.Arbitrary<Omit<Parts, 'method' | 'path'>> = fc.oneof(
    fc.record({
      headers: notJson.map((t): [string, string][] => [['Content-Type', t]]),
      body: fc.constant(target.validOrder),
    }),
    fc.record({ headers: fc.constant<[string, string][]>([]), body: fc.constant(target.validOrder) }),
    fc.record({
      headers: json.map((t): [string, string][] => [['Content-Type', t]]),
      body: fc.oneof(invalidJson, brokenOrder, junk, fc.constant('')),
    }),
    fc.record({
      headers: fc.tuple(json, badKey).map(([t, key]): [string, string][] => [
        ['Content-Type', t],
        ['Idempotency-Key', key],
      ]),
      body: fc.constant(target.validOrder),
    }),
    fc.record({
      headers: json.map((t): [string, string][] => [['Content-Type', t]]),
      body: fc.constant(`${target.validOrder.slice(0, -1)},"notes":"${'x'.repeat(70_000)}"}`),
    }),
  );
  return defect.map((d) => ({ method: 'POST', path: '/api/orders', ownContentType: true, ...d }));
}

/** POST orchestrators/{fn}[/{id}]: a real orchestrator only ever with a defect that stops the start. */
function durableStart(target: FuzzTarget): fc.Arbitrary<Parts> {
  const base = `${API}/orchestrators`;
  const unknownFunction = fc
    .tuple(fc.oneof(urlJunk, fc.constantFrom('doActivityA', 'rejectActivityB', 'httpStart')), urlJunk, bodies)
    .filter(([fn]) => !/^saga(Orchestrator|Step)$/i.test(decodeSafe(fn)))
    .map(([fn, id, body]) => ({ method: 'POST', path: `${base}/${fn}/${id}`, body }));
  const realFunction = fc.constantFrom('sagaOrchestrator', 'sagaStep', 'SAGAORCHESTRATOR');
  const badId = fc.oneof(
    junk.map((j) => `%40${inUrl(j, true)}`),
    fc.constant('x'.repeat(300)),
    junk.map((j) => `a%2F${inUrl(j, true)}`),
    fc.constant('a%0Ab'),
  );
  const withBadId = fc
    .tuple(realFunction, badId, fc.oneof(fc.constant(target.validOrder), bodies))
    .map(([fn, id, body]) => ({ method: 'POST', path: `${base}/${fn}/${id}`, body }));
  const withBadBody = fc
    .tuple(realFunction, fc.option(fc.stringMatching(/^[a-z0-9]{1,20}$/), { nil: undefined }), invalidJson)
    .map(([fn, id, body]) => ({
      method: 'POST',
      path: `${base}/${fn}${id ? `/fuzz-${id}` : ''}`,
      body,
      wholeBody: true,
    }));
  const withBadQuery = fc
    .tuple(
      realFunction,
      fc.oneof(
        fc.constantFrom('abc', '-1', '0', '1.5', '', '%20', '1e400').map((v) => `timeout=${v}`),
        fc.constantFrom('abc', '-1', '0', '1.5').map((v) => `timeout=5&pollingInterval=${v}`),
        urlJunk.map((hub) => `taskHub=Other${hub}`),
      ),
    )
    .map(([fn, q]) => ({ method: 'POST', path: `${base}/${fn}?${q}`, body: target.validOrder }));
  return fc.oneof(unknownFunction, withBadId, withBadBody, withBadQuery);
}

function decodeSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function routes(target: FuzzTarget): fc.Arbitrary<Parts>[] {
  const durableQuery = query([
    'showInput',
    'showHistory',
    'showHistoryOutput',
    'returnInternalServerErrorOnFailure',
    'createdTimeFrom',
    'createdTimeTo',
    'runtimeStatus',
    'top',
    'instanceIdPrefix',
    'taskHub',
    'connection',
    'code',
    'reason',
    'op',
    'fetchState',
    'timeout',
    'pollingInterval',
    'restartWithNewInstanceId',
  ]);
  const monitorQuery = query([
    'status',
    'createdFrom',
    'createdTo',
    'idPrefix',
    'pageSize',
    'includeSteps',
    'continuationToken',
    'code',
  ]);
  const actions = fc.oneof(
    fc.constantFrom('terminate', 'suspend', 'resume', 'restart', 'raiseEvent', 'purge', 'rewind'),
    urlJunk,
  );
  const mostly = (method: string): fc.Arbitrary<string> =>
    fc.oneof({ weight: 4, arbitrary: fc.constant(method) }, { weight: 1, arbitrary: anyMethod });
  // Only ids that no control order has: they all start with "ctl-".
  const id = urlJunk.filter((value) => !decodeSafe(value).startsWith('ctl-'));
  // An id that cannot vanish from the path: "", "." or "x/.." would turn DELETE instances/{id} into the
  // purge-by-filter route DELETE instances/, a valid request that may purge the control orders.
  const keptId = junk.map((value) => `z${inUrl(value, true)}`);
  return [
    orders(target),
    fc.record({ method: mostly('GET'), path: id.map((i) => `/api/orders/${i}`) }),
    fc.record({ method: mostly('GET'), path: urlJunk.map((q) => `/api/monitor?${q}`) }),
    fc.record({ method: mostly('GET'), path: monitorQuery.map((q) => `/api/monitor/instances${q}`) }),
    fc.record({
      method: mostly('GET'),
      path: fc.tuple(id, monitorQuery).map(([i, q]) => `/api/monitor/instances/${i}${q}`),
    }),
    fc.record({
      method: mostly('POST'),
      path: fc.tuple(id, actions).map(([i, a]) => `/api/monitor/instances/${i}/${a}`),
      headers: fc.array(extraHeader, { maxLength: 2 }),
      body: bodies,
    }),
    fc.record({ method: fc.constant('DELETE'), path: keptId.map((i) => `/api/monitor/instances/${i}`) }),
    fc.record({
      method: mostly('GET'),
      path: monitorQuery.map((q) => `/api/saga-metrics${q.replace(/createdFrom|idPrefix/, 'createdTo')}`),
    }),
    durableStart(target),
    // Not DELETE: with a createdTimeFrom that is a date (some are) that is a purge of every control order.
    fc.record({
      method: mostly('GET').filter((method) => method !== 'DELETE'),
      path: durableQuery.map((q) => `${API}/instances${q}`),
    }),
    // Purge by filter only ever over a window that ends in 1990: whatever else is wrong, no control order goes.
    fc.record({
      method: fc.constant('DELETE'),
      path: durableQuery.map((q) => `${API}/instances?createdTimeTo=1990-01-01T00:00:00Z${q.replace('?', '&')}`),
    }),
    fc.record({
      method: fc.constant('GET'),
      path: fc.tuple(id, durableQuery).map(([i, q]) => `${API}/instances/${i}${q}`),
    }),
    fc.record({
      method: fc.constant('DELETE'),
      path: fc.tuple(keptId, durableQuery).map(([i, q]) => `${API}/instances/${i}${q}`),
    }),
    fc.record({
      method: mostly('POST'),
      path: fc
        .tuple(
          id,
          fc.oneof(
            fc.constantFrom('terminate', 'suspend', 'resume', 'restart', 'rewind'),
            urlJunk.map((e) => `raiseEvent/${e}`),
            urlJunk,
          ),
          durableQuery,
        )
        .map(([i, op, q]) => `${API}/instances/${i}/${op}${q}`),
      body: bodies,
    }),
    fc.record({
      method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'),
      path: fc
        .tuple(urlJunk, fc.option(urlJunk), durableQuery)
        .map(([n, k, q]) => `${API}/entities/${n}${k === null ? '' : `/${k}`}${q}`),
      body: bodies,
    }),
    fc.record({ method: mostly('GET'), path: urlJunk.map((q) => `/admin/metrics?${q}`) }),
    fc.record({
      method: anyMethod,
      path: fc.array(urlJunk, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
      body: bodies,
    }),
    // Request targets that are not origin-form paths at all.
    fc.record({
      method: anyMethod,
      path: fc.oneof(junk, fc.constantFrom('*', 'http://x/api/monitor', '//api/monitor', 'api/orders')),
    }),
  ];
}

/** Any malformed request to any route family. */
export function malformedRequest(target: FuzzTarget): fc.Arbitrary<RawRequest> {
  return assemble(target, fc.oneof(...routes(target)));
}
