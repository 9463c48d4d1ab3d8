import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCosmosSettings } from '../../src/services/cosmosClient';
import { seedDemoData } from '../../src/services/seedData';
import { startTestAzurite, type RunningAzurite } from '../support/azuriteProcess';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmosServer';
import { startHostProcess, waitForStatus, type HostProcess } from '../support/hostProcess';
import { orderExample } from '../support/orderExamples';
import { documentWritesTo, startFaultyCosmosProxy, type FaultyCosmosProxy } from '../support/faultyCosmosProxy';

// What the evaluateAll callbacks read of a page element: they run in the browser, and the tests
// compile without the DOM library.
interface BrowserElement {
  getAttribute(name: string): string | null;
}

// The saga monitor in a real browser (Debian's Chromium through playwright-core) against the app
// on the local host, with Azurite and the Cosmos-protocol server, as a person would use it: start
// sagas from the form, find them in the list, read the timeline, act on a saga that waits. The
// Cosmos proxy can hold payment writes, which keeps step B running for as long as a test needs.
// Screenshots go to test-results/monitor/ (gitignored) for a person to look at.

const ROOT = path.resolve(__dirname, '../..');
const SCREENSHOTS = path.join(ROOT, 'test-results/monitor');
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let azurite: RunningAzurite;
let cosmos: CosmosTestServer;
let proxy: FaultyCosmosProxy;
/** Payments wait at the proxy: a saga stays Running at step B until `proxy.release()`. */
const holdPayments = (): void =>
  proxy.inject({ kind: { type: 'hold' }, times: Infinity, matches: documentWritesTo('payments') });
let host: HostProcess;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** Every answer of 400 or more the page received, as "METHOD path status". */
const failedRequests: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  azurite = await startTestAzurite();
  cosmos = await startCosmosServer();
  const settings = { COSMOS_ENDPOINT: cosmos.endpoint, COSMOS_KEY: cosmos.key, COSMOS_DATABASE: 'saga-monitor-e2e' };
  await seedDemoData({ settings: readCosmosSettings(settings) });
  proxy = await startFaultyCosmosProxy(cosmos.endpoint);
  host = await startHostProcess(ROOT, {
    ...settings,
    COSMOS_ENDPOINT: proxy.endpoint,
    AzureWebJobsStorage: azurite.connectionString,
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // The browser logs every 4xx as "Failed to load resource"; those are checked one by one below.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      pageErrors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400)
      failedRequests.push(`${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  proxy?.release();
  await host?.stop();
  await proxy?.stop();
  await cosmos?.stop();
  await azurite?.stop();
});

const monitorUrl = (): string => `${host.url}/api/monitor`;

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Starts a saga through the public API, as another client would; answers its instance id. */
async function postOrder(body: string): Promise<string> {
  const response = await fetch(`${host.url}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function finished(id: string): Promise<void> {
  await waitForStatus(`${host.url}/runtime/webhooks/durabletask/instances/${id}`);
}

function row(id: string, runtimeStatus?: string): string {
  return `#instances-body tr[data-instance-id="${id}"]${runtimeStatus === undefined ? '' : `[data-runtime-status="${runtimeStatus}"]`}`;
}

/** Starts the example with this label from the form; answers the new instance id. */
async function startFromForm(label: string): Promise<string> {
  await page.selectOption('#example-select', { label });
  await page.click('#start-button');
  const started = page.locator('#start-result [data-started-id]');
  await started.waitFor();
  return (await started.getAttribute('data-started-id'))!;
}

async function openInstance(id: string): Promise<void> {
  await page.locator(row(id)).getByRole('button', { name: id }).click();
  await page.waitForSelector(`#detail-id:text-is("${id}")`);
  await page.waitForSelector('#timeline .tl-row');
}

async function detailStatus(status: string): Promise<void> {
  await page.waitForSelector(`#detail-facts [data-runtime-status="${status}"]`, { timeout: 30_000 });
}

/** Clicks an action, checks the confirmation names the instance, fills it in, confirms. */
async function confirmAction(
  action: string,
  fill: (dialog: Page) => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  await page.click(`#detail-actions button[data-action="${action}"]`);
  const dialog = page.locator('#confirm-dialog');
  await dialog.waitFor({ state: 'visible' });
  expect(await page.textContent('#confirm-instance')).toBe(await page.textContent('#detail-id'));
  await fill(page);
  await page.click('#confirm-ok');
  await dialog.waitFor({ state: 'hidden' });
}

async function readJson(
  response: Response,
): Promise<{ errors?: { path: string; message: string }[] } & Record<string, unknown>> {
  return (await response.json()) as { errors?: { path: string; message: string }[] } & Record<string, unknown>;
}

describe('the saga monitor in a browser', () => {
  let completedId: string;
  let rejectedId: string;
  let terminatedId: string;

  it('serves a self-contained page: every request goes to the app itself', async () => {
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const response = await page.goto(monitorUrl());

    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    await page.waitForSelector('#page-info:has-text("Page 1")');
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith(host.url))).toEqual([]);
    await screenshot('01-empty-monitor');
  });

  it('starts sagas from the form: one completes, one fails at C; the list shows both as they finish', async () => {
    completedId = await startFromForm('Valid order');
    rejectedId = await startFromForm('Fails at C: destination not served');

    // No clicks from here: the list refreshes by itself while either saga runs.
    await page.waitForSelector(row(completedId, 'Completed'), { timeout: 30_000 });
    await page.waitForSelector(row(rejectedId, 'Completed'), { timeout: 30_000 });
    await page.waitForSelector(`${row(rejectedId)} td:has-text("rejected at C: destination-not-served")`, {
      timeout: 30_000,
    });
    expect(await page.textContent(`${row(completedId)} td:nth-child(3)`)).toBe('completed');
    expect(await page.textContent(`${row(completedId)} td:nth-child(6)`)).toMatch(/\d+(\.\d)? (ms|s)$/);
    await page.waitForSelector('#refresh-state:text-is("Nothing running")');
    await screenshot('02-list-after-starting');
  });

  it('shows saga figures for what ran: one completed, one rejected at C', async () => {
    await page.goto(monitorUrl());
    const figure = (name: string) => page.locator(`#figures dd[data-figure="${name}"]`);
    await figure('Completed').waitFor();
    const deadline = Date.now() + 15_000;
    while ((await figure('Rejected at A / B / C').textContent()) !== '0 / 0 / 1' && Date.now() < deadline) {
      await page.waitForTimeout(200);
      await page.click('#refresh-now');
    }
    expect(await figure('Completed').textContent()).toBe('1');
    expect(await figure('Rejected at A / B / C').textContent()).toBe('0 / 0 / 1');
    expect(await figure('End to end p50 / p95 / p99').textContent()).toMatch(/^\d+ ms \/ \d+ ms \/ \d+ ms$/);
    await screenshot('02b-saga-figures');
  });

  it('refuses a deliberately invalid order and lists what is wrong with it', async () => {
    await page.selectOption('#example-select', { label: 'Invalid: carries a card number' });
    expect(await page.inputValue('#order-body')).toContain('"cardNumber"');
    await page.click('#start-button');

    const problem = page.locator('#start-result .error');
    await problem.waitFor();
    expect(await problem.textContent()).toContain('Not started (HTTP 400)');
    expect(await problem.textContent()).toContain('$.cardNumber');
    await screenshot('03-invalid-order-refused');
  });

  it('opens the failed saga: C rejected, then A and B compensated together on the timeline', async () => {
    await openInstance(rejectedId);

    const entry = (id: string) => page.locator(`#timeline .tl-row[data-entry-id="${id}"]`);
    expect(await entry('step-A').getAttribute('data-outcome')).toBe('succeeded');
    expect(await entry('step-B').getAttribute('data-outcome')).toBe('succeeded');
    expect(await entry('step-C').getAttribute('data-outcome')).toBe('rejected');
    expect(await entry('step-C').textContent()).toContain('destination-not-served: we do not deliver to AQ');
    expect(await entry('compensation-A').getAttribute('data-outcome')).toBe('compensated');
    expect(await entry('compensation-B').getAttribute('data-outcome')).toBe('compensated');
    // Running in parallel: dispatched at the same moment, drawn side by side.
    expect(await entry('compensation-A').getAttribute('data-started-at')).toBe(
      await entry('compensation-B').getAttribute('data-started-at'),
    );
    expect(await page.getAttribute('#timeline .tl-parallel', 'data-parallel')).toBe('true');
    const barA = await entry('compensation-A').locator('.tl-bar').boundingBox();
    const barB = await entry('compensation-B').locator('.tl-bar').boundingBox();
    expect(Math.abs(barA!.x - barB!.x)).toBeLessThan(1);

    expect(await page.textContent('#detail-input')).toContain('"city": "McMurdo"');
    expect(await page.textContent('#detail-output')).toContain('"outcome": "rejected"');
    await page.click('#history-details summary');
    expect(await page.locator('#history-body tr[data-event-type="TaskCompleted"]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('#history-body')).toContain('rejectActivityB');
    // Only finished-instance actions are offered.
    expect(await page.isDisabled('#detail-actions button[data-action="terminate"]')).toBe(true);
    expect(await page.isEnabled('#detail-actions button[data-action="purge"]')).toBe(true);
    await screenshot('04-detail-compensations');
  });

  it('shows what users typed as text, never as markup', async () => {
    const order = JSON.parse(orderExample('order-ok.json').body) as { shipTo: Record<string, string> };
    order.shipTo.name = '<img src=x onerror="window.__monitorXss=1">';
    order.shipTo.street = '</script><script>window.__monitorXss=2</script>';
    const id = await postOrder(JSON.stringify(order));
    await finished(id);

    await page.goto(`${monitorUrl()}#instance=${id}`);
    await page.waitForSelector(`#detail-id:text-is("${id}")`);
    await page.waitForSelector('#detail-input:has-text("onerror")');

    expect(await page.textContent('#detail-input')).toContain(
      '"name": "<img src=x onerror=\\"window.__monitorXss=1\\">"',
    );
    expect(await page.locator('#detail-panel img').count()).toBe(0);
    expect(
      await page.evaluate(() => (globalThis as unknown as { __monitorXss?: number }).__monitorXss),
    ).toBeUndefined();
  });

  it('suspends, resumes, raises an event to and terminates a saga that is waiting at B', async () => {
    await page.goto(monitorUrl());
    holdPayments();
    terminatedId = await postOrder(orderExample('order-ok.json').body);
    await page.click('#refresh-now');
    await page.waitForSelector(row(terminatedId, 'Running'), { timeout: 30_000 });
    await openInstance(terminatedId);
    await page.waitForSelector('#timeline .tl-row[data-entry-id="step-B"][data-outcome="running"]', {
      timeout: 30_000,
    });
    await page.waitForSelector('#refresh-state:has-text("1 running")');

    await confirmAction('suspend', (p) => p.fill('#confirm-reason', 'checking the payment'));
    await detailStatus('Suspended');
    await page.waitForSelector('#timeline [data-marker="suspended"]');

    await confirmAction('resume');
    await detailStatus('Running');

    await confirmAction('raiseEvent', async (p) => {
      await p.fill('#confirm-event-name', 'Approval');
      await p.fill('#confirm-event-data', '{ "approvedBy": "<b>ops</b>" }');
    });
    await page.waitForSelector('#timeline [data-marker="event"]', { timeout: 30_000 });

    await page.click(`#detail-actions button[data-action="terminate"]`);
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.fill('#confirm-reason', 'stuck in payment (e2e)');
    await screenshot('05-confirm-terminate');
    await page.click('#confirm-ok');
    await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    await detailStatus('Terminated');

    await page.waitForSelector('#timeline [data-marker="terminated"]');
    expect(await page.textContent('#timeline ul.markers')).toContain('terminated: stuck in payment (e2e)');
    expect(await page.getAttribute('#timeline .tl-row[data-entry-id="step-B"]', 'data-outcome')).toBe('interrupted');
    expect(await page.textContent('#detail-facts')).toContain('needs attention');
    await page.click('#history-details summary');
    expect(await page.locator('#history-body tr[data-event-type="EventRaised"]').count()).toBe(1);
    expect(await page.locator('#history-body tr[data-event-type="ExecutionSuspended"]').count()).toBe(1);
    expect(await page.locator('#history-body tr[data-event-type="ExecutionResumed"]').count()).toBe(1);
    await page.waitForSelector(`${row(terminatedId, 'Terminated')} .badge.attention`);
    await screenshot('06-terminated');
    proxy.release();
  });

  it('refreshes the list by itself while a saga runs and stops when nothing does', async () => {
    holdPayments();
    const id = await postOrder(orderExample('order-ok.json').body);
    await page.click('#refresh-now');
    await page.waitForSelector(row(id, 'Running'), { timeout: 30_000 });
    expect(await page.textContent('#refresh-state')).toMatch(/running · refreshing every 2 s/);

    proxy.release();
    await page.waitForSelector(row(id, 'Completed'), { timeout: 30_000 });
    await page.waitForSelector('#refresh-state:text-is("Nothing running")');
  });

  it('restarts a finished saga under a new id, then purges the original', async () => {
    await page.goto(`${monitorUrl()}#instance=${completedId}`);
    await page.waitForSelector(`#detail-id:text-is("${completedId}")`);
    await detailStatus('Completed');

    await confirmAction('restart');
    const restarted = page.locator('#action-result [data-restarted-as]');
    await restarted.waitFor();
    const newId = (await restarted.getAttribute('data-restarted-as'))!;
    expect(newId).not.toBe(completedId);
    await restarted.click();
    await page.waitForSelector(`#detail-id:text-is("${newId}")`);
    await detailStatus('Completed');
    expect(await page.getAttribute('#timeline .tl-row[data-entry-id="step-C"]', 'data-outcome')).toBe('succeeded');

    await page.goto(`${monitorUrl()}#instance=${completedId}`);
    await page.waitForSelector(`#detail-id:text-is("${completedId}")`);
    await detailStatus('Completed');
    await confirmAction('purge');
    await page.waitForSelector('#list-message:has-text("Purged")');
    expect(await page.isHidden('#detail-panel')).toBe(true);
    await page.waitForSelector(row(newId));
    await page.waitForSelector(row(completedId), { state: 'detached' });
    expect((await fetch(`${host.url}/api/monitor/instances/${completedId}`)).status).toBe(404);
    await screenshot('07-after-restart-and-purge');
  });

  it('filters by runtime status and time range, and pages through the task hub with the continuation token', async () => {
    // Enough sagas for several pages of five.
    const more = await Promise.all(
      ['order-ok.json', 'order-rejected-at-a-no-stock.json', 'order-rejected-at-b-over-limit.json'].map((file) =>
        postOrder(orderExample(file).body),
      ),
    );
    await Promise.all(more.map(finished));
    const everything = (await readJson(await fetch(`${host.url}/api/monitor/instances?pageSize=100`))) as {
      instances: { instanceId: string }[];
      continuationToken: string | null;
    };
    expect(everything.continuationToken).toBeNull();
    const allIds = everything.instances.map((i) => i.instanceId).sort();
    expect(allIds.length).toBeGreaterThanOrEqual(8);
    // Step sub-orchestrations are in the task hub but not in the list.
    expect(allIds.some((id) => id.includes(':'))).toBe(false);

    await page.goto(monitorUrl());
    await page.selectOption('#page-size', '5');
    await page.click('#filter-apply');
    await page.waitForSelector('#instances[data-query="pageSize=5"]');
    const seen: string[] = [];
    for (let pageNumber = 1; ; pageNumber++) {
      await page.waitForSelector(`#page-info:has-text("Page ${pageNumber} ")`);
      const ids = await page
        .locator('#instances-body tr')
        .evaluateAll((rows: BrowserElement[]) => rows.map((r) => r.getAttribute('data-instance-id') ?? ''));
      expect(ids.length).toBeGreaterThan(0);
      seen.push(...ids);
      if (pageNumber === 2) await screenshot('08-second-page');
      if (await page.isDisabled('#page-next')) break;
      await page.click('#page-next');
    }
    expect([...seen].sort()).toEqual(allIds);
    expect(new Set(seen).size).toBe(seen.length);
    await page.click('#page-first');
    await page.waitForSelector('#page-info:has-text("Page 1 ")');

    await page.check('input[name="status"][value="Terminated"]');
    await page.click('#filter-apply');
    await page.waitForSelector('#instances[data-query^="status=Terminated&"]');
    await page.waitForSelector(row(terminatedId));
    const statuses = await page
      .locator('#instances-body tr')
      .evaluateAll((rows: BrowserElement[]) => rows.map((r) => r.getAttribute('data-runtime-status')));
    expect(new Set(statuses)).toEqual(new Set(['Terminated']));
    await screenshot('09-filtered-terminated');

    await page.uncheck('input[name="status"][value="Terminated"]');
    await page.fill('#created-from', '2099-01-01T00:00:00');
    await page.click('#filter-apply');
    await page.waitForSelector('#instances[data-query*="createdFrom=2099-"]');
    await page.waitForSelector('#list-empty:visible');
    expect(await page.locator('#instances-body tr').count()).toBe(0);

    await page.selectOption('#range-preset', '15');
    await page.selectOption('#page-size', '100');
    await page.click('#filter-apply');
    await page.waitForSelector('#instances:not([data-query*="createdFrom=2099-"])');
    await page.waitForSelector(row(terminatedId));
  });

  it('draws a v3 retry from the saga’s own history: both attempts of B and the backoff between them', async () => {
    proxy.inject({ kind: { type: 'status', status: 503 }, times: 1, matches: documentWritesTo('payments') });
    const retriedId = await postOrder(orderExample('order-ok.json').body);
    await finished(retriedId);
    await page.goto(`${monitorUrl()}#instance=${retriedId}`);
    await page.waitForSelector(`#detail-id:text-is("${retriedId}")`);
    await detailStatus('Completed');

    expect(await page.getAttribute('#timeline .tl-row[data-entry-id="step-B"]', 'data-outcome')).toBe('succeeded');
    expect(await page.textContent('#timeline .tl-row[data-entry-id="step-B"]')).toContain('2 attempts');
    expect(await page.locator('#timeline ul.markers li[data-marker="backoff"]').count()).toBe(1);
    expect(await page.textContent('#timeline ul.markers')).toContain('doActivityB: attempt 1 failed, next attempt at');
  });

  it('raised no script errors along the way, and met no 4xx but the invalid order', () => {
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual(['POST /api/orders 400']);
  });
});

describe('the monitor endpoints answer bad input with 4xx and say what is wrong', () => {
  let runningId: string;
  let finishedId: string;

  beforeAll(async () => {
    finishedId = await postOrder(orderExample('order-rejected-at-a-no-stock.json').body);
    await finished(finishedId);
    holdPayments();
    runningId = await postOrder(orderExample('order-ok.json').body);
  });

  afterAll(() => proxy.release());

  const api = (pathAndQuery: string): string => `${host.url}/api/monitor${pathAndQuery}`;
  const post = (
    pathAndQuery: string,
    body: string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => fetch(api(pathAndQuery), { method: 'POST', headers, body });

  async function expectProblem(response: Response, status: number, errorPath: string, message?: RegExp): Promise<void> {
    expect(response.status).toBe(status);
    const body = await readJson(response);
    expect(body.errors?.map((e) => e.path)).toContain(errorPath);
    if (message !== undefined) expect(body.errors?.find((e) => e.path === errorPath)?.message).toMatch(message);
  }

  it('GET /api/monitor serves the page', async () => {
    const response = await fetch(api(''));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('<title>Saga monitor</title>');
  });

  it('GET /api/monitor/instances: filters that are not filters', async () => {
    await expectProblem(
      await fetch(api('/instances?status=Sleeping')),
      400,
      'query:status',
      /"Sleeping" is not a runtime status/,
    );
    await expectProblem(await fetch(api('/instances?pageSize=0')), 400, 'query:pageSize', /from 1 to 100/);
    await expectProblem(await fetch(api('/instances?pageSize=500')), 400, 'query:pageSize');
    await expectProblem(await fetch(api('/instances?createdFrom=yesterday')), 400, 'query:createdFrom', /ISO 8601/);
    await expectProblem(
      await fetch(api('/instances?createdFrom=2025-03-02T00:00:00Z&createdTo=2025-03-01T00:00:00Z')),
      400,
      'query:createdFrom',
      /later than createdTo/,
    );
    await expectProblem(await fetch(api('/instances?idPrefix=%3Cb%3E')), 400, 'query:idPrefix');
    await expectProblem(await fetch(api('/instances?includeSteps=maybe')), 400, 'query:includeSteps');
    await expectProblem(await fetch(api('/instances?sort=desc')), 400, 'query:sort', /not a filter/);
    await expectProblem(await fetch(api('/instances?continuationToken=%20spaces%20')), 400, 'query:continuationToken');
    await expectProblem(
      await fetch(api('/instances?continuationToken=bm90LWEtdG9rZW4')),
      400,
      'query:continuationToken',
      /start again from the first page/,
    );
  });

  it('GET /api/monitor/instances/{id}: ids the monitor cannot use, and unknown ones', async () => {
    await expectProblem(
      await fetch(api('/instances/%3Cscript%3E')),
      400,
      'route:id',
      /must start with a letter or digit/,
    );
    await expectProblem(
      await fetch(api('/instances/no-such-saga')),
      404,
      'route:id',
      /no instance with id "no-such-saga"/,
    );
  });

  it('POST /api/monitor/instances/{id}/{action}: wrong content, wrong fields, wrong state', async () => {
    await expectProblem(
      await post(`/instances/${runningId}/terminate`, 'reason=x', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      415,
      'header:Content-Type',
    );
    await expectProblem(await post(`/instances/${runningId}/terminate`, '{"reason":'), 400, '$', /not valid JSON/);
    await expectProblem(
      await post(`/instances/${runningId}/terminate`, '{"reason":"x","force":true}'),
      400,
      '$.force',
      /not a field/,
    );
    await expectProblem(
      await post(`/instances/${runningId}/terminate`, JSON.stringify({ reason: 'x'.repeat(501) })),
      400,
      '$.reason',
      /at most 500/,
    );
    await expectProblem(await post(`/instances/${runningId}/raiseEvent`, '{"name":"no/slashes"}'), 400, '$.name');
    await expectProblem(
      await post(`/instances/${runningId}/raiseEvent`, JSON.stringify({ name: 'Big', data: 'x'.repeat(20_000) })),
      413,
      '$',
    );
    await expectProblem(await post(`/instances/${runningId}/rewind`, '{}'), 404, 'route:action', /not an action/);
    await expectProblem(await post(`/instances/${runningId}/purge`, '{}'), 404, 'route:action', /DELETE/);
    await expectProblem(
      await post(`/instances/${runningId}/resume`, '{}'),
      409,
      'route:action',
      /is Running; resuming needs it to be Suspended/,
    );
    await expectProblem(
      await post(`/instances/${finishedId}/terminate`, '{}'),
      409,
      'route:action',
      /is Completed; terminating/,
    );
    await expectProblem(await post('/instances/no-such-saga/terminate', '{}'), 404, 'route:id');
    await expectProblem(await post('/instances/%3Cx%3E/terminate', '{}'), 400, 'route:id');
    await expectProblem(
      await post(`/instances/${runningId}/terminate`, '{}', {
        'content-type': 'application/json',
        'sec-fetch-site': 'cross-site',
      }),
      403,
      'header:Sec-Fetch-Site',
    );
    // None of that touched the saga.
    expect(
      ((await readJson(await fetch(api(`/instances/${runningId}`)))) as { runtimeStatus: string }).runtimeStatus,
    ).toBe('Running');
  });

  it('DELETE /api/monitor/instances/{id}: only finished instances are purged', async () => {
    const del = (id: string) => fetch(api(`/instances/${id}`), { method: 'DELETE' });
    await expectProblem(await del(runningId), 409, 'route:id', /is Running; purging needs it to be Completed/);
    await expectProblem(await del('no-such-saga'), 404, 'route:id');
    await expectProblem(await del('%3Cx%3E'), 400, 'route:id');
    const purged = await del(finishedId);
    expect(purged.status).toBe(200);
    expect(await readJson(purged)).toMatchObject({ instanceId: finishedId, instancesDeleted: 1 });
    await expectProblem(await del(finishedId), 404, 'route:id');
  });
});
