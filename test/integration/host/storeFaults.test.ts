import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startHostProcess, waitForStatus, type HostProcess } from '../../support/hostProcess';
import { appendBlock, startStorageFaultProxy, type StorageFaultProxy } from '../../support/storageFaultProxy';

// Storage that fails under the host (through a real proxy in front of a real Azurite): whatever
// a failed store call interrupts runs again from what was committed, without a restart.
const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let azurite: RunningAzurite;
let proxy: StorageFaultProxy;
let host: HostProcess;

beforeAll(async () => {
  azurite = await startTestAzurite();
  proxy = await startStorageFaultProxy(azurite.ports);
  // The host never gets to read every instance id of the hub here, so it asks the table whether an
  // id is taken, as it does after a start until it has them: those reads are what some specs fail.
  proxy.inject({ kind: { type: 'reset' }, times: 1_000_000, matches: instanceIdListing });
  host = await startHostProcess(APP, { AzureWebJobsStorage: proxy.connectionString });
});

afterEach(() => {
  proxy.clear();
  proxy.inject({ kind: { type: 'reset' }, times: 1_000_000, matches: instanceIdListing });
});

function instanceIdListing(r: Parameters<typeof appendBlock>[0]): boolean {
  return r.service === 'table' && r.method === 'GET' && r.path.includes('$select=RowKey&');
}

afterAll(async () => {
  await host?.stop();
  await proxy?.stop();
  await azurite?.stop();
});

async function start(name: string, instanceId: string, input?: unknown): Promise<string> {
  const response = await fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/${name}/${instanceId}`, {
    method: 'POST',
    body: input === undefined ? '' : JSON.stringify(input),
  });
  expect(response.status).toBe(202);
  return `${host.url}/runtime/webhooks/durabletask/instances/${instanceId}`;
}

/** Matches the requests after the first `skip` that `matches` accepts. */
function after(skip: number, matches: (r: Parameters<typeof appendBlock>[0]) => boolean) {
  let seen = 0;
  return (r: Parameters<typeof appendBlock>[0]): boolean => matches(r) && ++seen > skip;
}

// First, while nothing else has committed: a checkpoint (a few seconds after a commit) starts a
// new segment, which would hide a log that lost track of its blob's length.
describe('an append whose reply was lost', () => {
  it('is found in the blob, and later commits on an idle host still succeed', async () => {
    const dropped = proxy.served['drop-reply'];
    // Applied, reply lost; the appender's own retry then meets a 503.
    proxy.inject({ kind: { type: 'drop-reply' }, matches: appendBlock });
    proxy.inject({ kind: { type: 'status', status: 503 }, matches: appendBlock });
    const first = await waitForStatus(await start('sequence', 'lost-reply', ['x']));
    expect(proxy.served['drop-reply'] - dropped).toBe(1);
    expect(first).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello x'] });
    const later = await waitForStatus(await start('sequence', 'after-lost-reply', ['y']));
    expect(later).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello y'] });
  });
});

describe('a start of an id whose first start storage is slow to write', () => {
  it('is refused once the first is stored, so the instance it names can be read right after', async () => {
    const id = `slow-first-start-${Date.now()}`;
    const url = `${host.url}/runtime/webhooks/durabletask/orchestrators/sequence/${id}`;
    // The first start's table write is held back on its way to Azurite.
    proxy.inject({
      kind: { type: 'delay', ms: 800 },
      matches: (r) => r.service === 'table' && r.method === 'POST' && (r.body?.includes(id) ?? false),
    });
    const first = fetch(url, { method: 'POST', body: JSON.stringify(['x']) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await fetch(url, { method: 'POST', body: JSON.stringify(['x']) });
    expect(second.status).toBe(500);
    // What a client does after "already exists": it asks for the instance, which must be there.
    const read = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}`);
    expect([200, 202]).toContain(read.status);
    expect((await first).status).toBe(202);
    expect(proxy.served.delay).toBeGreaterThanOrEqual(1);
  });
});

describe('a commit that storage refuses', () => {
  it('runs a new instance whose first episode could not commit (two 503s to its Append Block)', async () => {
    const served = proxy.served.status;
    proxy.inject({ kind: { type: 'status', status: 503 }, times: 2, matches: appendBlock });
    const status = await waitForStatus(await start('sequence', 'refused-first', ['a', 'b']));
    expect(proxy.served.status - served).toBe(2);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello a', 'Hello b'] });
  });

  it('runs a continued-as-new execution whose first episode could not commit', async () => {
    const served = proxy.served.status;
    // The first execution's episode commits; the next execution's cannot, at first.
    proxy.inject({ kind: { type: 'status', status: 503 }, times: 2, matches: after(1, appendBlock) });
    const status = await waitForStatus(await start('countUp', 'refused-continued', 0));
    expect(proxy.served.status - served).toBe(2);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 3 });
  });

  it('runs a sub-orchestration whose first episode could not read the table (whether its id is taken)', async () => {
    const served = proxy.served.status;
    // The child's first commit asks the table whether its id is taken: every try of that read fails.
    proxy.inject({
      kind: { type: 'status', status: 503 },
      times: 8,
      matches: (r) => r.service === 'table' && r.method === 'GET' && r.path.includes('refused-child-child'),
    });
    const status = await waitForStatus(await start('parent', 'refused-child'));
    expect(proxy.served.status - served).toBe(8);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: { ok: { doubled: 42 } } });
  });
});

describe('an outage', () => {
  it('holds an orchestration started just before it, which completes after it; the host says so once each way', async () => {
    const before = host.output().length;
    const statusUrl = await start('sequence', 'through-outage', ['p', 'q', 'r']);
    const outage = proxy.outage();
    await new Promise((resolve) => setTimeout(resolve, 4000));
    outage.end();
    const status = await waitForStatus(statusUrl);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello p', 'Hello q', 'Hello r'] });
    // The checkpoint after the episodes commits runs a few seconds later, through the same proxy.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const said = host.output().slice(before);
    expect(said.match(/Storage does not answer/g)).toHaveLength(1);
    expect(said.match(/Storage answers again/g)).toHaveLength(1);
    expect(said).not.toMatch(/will be retried/);
  });
});
