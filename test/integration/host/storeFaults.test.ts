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
  host = await startHostProcess(APP, { AzureWebJobsStorage: proxy.connectionString });
});

afterEach(() => {
  proxy.clear();
});

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

  it('runs a sub-orchestration whose first episode could not read the table', async () => {
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
