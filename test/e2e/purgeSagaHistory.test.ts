import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCosmosSettings } from '../../src/services/cosmosClient';
import { seedDemoData } from '../../src/services/seedData';
import { startTestAzurite, type RunningAzurite } from '../support/azuriteProcess';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmosServer';
import { documentWritesTo, startFaultyCosmosProxy, type FaultyCosmosProxy } from '../support/faultyCosmosProxy';
import { startHostProcess, waitForStatus, type HostProcess } from '../support/hostProcess';
import { orderExample } from '../support/orderExamples';
import { eventually } from '../support/storageProbe';

// The purgeSagaHistory timer on the local host's skipping clock: four sagas are set up with the
// purge switched off (finished, rejected, needing attention, suspended mid-step), then the host
// restarts with it on and days pass in milliseconds. Only the two finished, healthy sagas go.
const ROOT = path.resolve(__dirname, '../..');
const DATABASE = 'saga-purge';
let azurite: RunningAzurite;
let cosmos: CosmosTestServer;
let proxy: FaultyCosmosProxy;
let host: HostProcess | undefined;

const env = (): Record<string, string> => ({
  AzureWebJobsStorage: azurite.connectionString,
  COSMOS_ENDPOINT: proxy.endpoint,
  COSMOS_KEY: cosmos.key,
  COSMOS_DATABASE: DATABASE,
  SAGA_DEADLINE: 'PT5M',
  SAGA_RETRY_FIRST_INTERVAL: 'PT10M',
  SAGA_RETRY_MAX_INTERVAL: 'PT10M',
  SAGA_HISTORY_RETENTION: 'P1D',
});

const instanceUrl = (id: string): string => `${host?.url ?? ''}/runtime/webhooks/durabletask/instances/${id}`;

async function startOrder(key: string, file: string): Promise<void> {
  const response = await fetch(`${host?.url ?? ''}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: orderExample(file).body,
  });
  expect(response.status).toBe(202);
}

beforeAll(async () => {
  azurite = await startTestAzurite();
  cosmos = await startCosmosServer();
  await seedDemoData({
    settings: readCosmosSettings({
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_DATABASE: DATABASE,
    }),
  });
  proxy = await startFaultyCosmosProxy(cosmos.endpoint);
});

afterAll(async () => {
  await host?.stop();
  await proxy?.stop();
  await cosmos?.stop();
  await azurite?.stop();
});

describe('purgeSagaHistory', () => {
  it('purges finished sagas older than the retention, and keeps running ones and those needing attention', async () => {
    host = await startHostProcess(
      ROOT,
      { ...env(), 'AzureWebJobs.purgeSagaHistory.Disabled': 'true' },
      { timeSkipping: true },
    );

    // Payments stay down: the deadline passes and the refund fails too, so the saga needs attention.
    proxy.inject({ kind: { type: 'status', status: 503 }, times: 1000, matches: documentWritesTo('payments') });
    await startOrder('purge-attention', 'order-ok.json');
    const attention = await waitForStatus(instanceUrl('purge-attention'), undefined, 60_000);
    expect(attention.output).toMatchObject({ body: { needsAttention: true } });
    proxy.clear();

    await startOrder('purge-ok', 'order-ok.json');
    expect((await waitForStatus(instanceUrl('purge-ok'))).output).toMatchObject({ status: 200 });
    await startOrder('purge-rejected', 'order-rejected-at-b-insufficient-funds.json');
    expect((await waitForStatus(instanceUrl('purge-rejected'))).output).toMatchObject({ status: 400 });

    // Suspended while its first step's stock write is held: not finished, whatever its age.
    proxy.inject({ kind: { type: 'hold' }, matches: documentWritesTo('inventory') });
    await startOrder('purge-suspended', 'order-ok.json');
    await eventually(() => Promise.resolve(proxy.served.hold > 0 ? true : undefined), 'the held stock write');
    expect((await fetch(`${instanceUrl('purge-suspended')}/suspend?reason=test`, { method: 'POST' })).status).toBe(202);
    await waitForStatus(instanceUrl('purge-suspended'), (s) => s.runtimeStatus === 'Suspended');
    proxy.release();
    await host.stop();

    // With the purge on, the clock jumps from 03:00 to 03:00 until a run finds them older than a day.
    host = await startHostProcess(ROOT, env(), { timeSkipping: true });
    const gone = async (id: string): Promise<boolean> => (await fetch(instanceUrl(id))).status === 404;
    // v3 sagas run their steps themselves; the step sub-orchestrations of v1/v2 sagas are
    // covered by the purge plan's unit specification.
    const purged = ['purge-ok', 'purge-rejected'];
    await eventually(
      async () => ((await Promise.all(purged.map(gone))).every(Boolean) ? true : undefined),
      'the finished sagas purged',
      60_000,
    );
    for (const kept of ['purge-attention', 'purge-suspended']) expect(await gone(kept), kept).toBe(false);
    expect((await waitForStatus(instanceUrl('purge-suspended'), () => true)).runtimeStatus).toBe('Suspended');
    expect(host.output()).toMatch(
      /purgeSagaHistory: removed [1-9]\d* finished instance\(s\) created before .*; kept \d+ needing attention/,
    );
  });
});
