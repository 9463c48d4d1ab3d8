import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCosmosSettings } from '../../src/services/cosmosClient';
import { seedDemoData } from '../../src/services/seedData';
import { startTestAzurite, type RunningAzurite } from '../support/azuriteProcess';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmosServer';
import { documentWritesTo, startFaultyCosmosProxy, type FaultyCosmosProxy } from '../support/faultyCosmosProxy';
import { startHostProcess, waitForStatus, type HostProcess } from '../support/hostProcess';
import { orderExample } from '../support/orderExamples';

// Shipping new versions of the saga while older sagas are in flight: v1 and v2 instances finish on
// their own paths (steps in sagaStep sub-orchestrations; v2 with a credit check before the charge),
// new ones take v3 (the saga calls the do-activities itself), and none fails to replay.
const ROOT = path.resolve(__dirname, '../..');
let azurite: RunningAzurite;
let cosmos: CosmosTestServer;
let proxy: FaultyCosmosProxy;
let host: HostProcess | undefined;

const env = (): Record<string, string> => ({
  AzureWebJobsStorage: azurite.connectionString,
  COSMOS_ENDPOINT: proxy.endpoint,
  COSMOS_KEY: cosmos.key,
  COSMOS_DATABASE: 'saga-versions',
  SAGA_RETRY_FIRST_INTERVAL: 'PT10M',
  SAGA_RETRY_MAX_INTERVAL: 'PT10M',
  SAGA_DEADLINE: 'PT1H',
  // Its daily timer would pull the skipping clock on and on (test/e2e/purgeSagaHistory.test.ts).
  'AzureWebJobs.purgeSagaHistory.Disabled': 'true',
});

beforeAll(async () => {
  azurite = await startTestAzurite();
  cosmos = await startCosmosServer();
  await seedDemoData({
    settings: readCosmosSettings({
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_DATABASE: 'saga-versions',
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

interface Status {
  runtimeStatus: string;
  output: { status: number };
  historyEvents: { EventType: string; FunctionName?: string; Name?: string }[];
}

async function startOrder(url: string): Promise<string> {
  const response = await fetch(`${url}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: orderExample('order-ok.json').body,
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { statusQueryGetUri: string }).statusQueryGetUri;
}

const activitiesOf = (status: Status): (string | undefined)[] =>
  status.historyEvents
    .filter((e) => e.EventType === 'TaskCompleted' || e.EventType === 'SubOrchestrationInstanceCompleted')
    .map((e) => e.FunctionName);

/** The sagas not finished yet that were created before `before`: what must be gone before v1/v2 code is deleted. */
async function unfinishedCreatedBefore(url: string, before: Date): Promise<string[]> {
  const response = await fetch(
    `${url}/runtime/webhooks/durabletask/instances?runtimeStatus=Running,Pending,Suspended&createdTimeTo=${before.toISOString()}`,
  );
  expect(response.status).toBe(200);
  const instances = (await response.json()) as { name: string; instanceId: string }[];
  return instances
    .filter((instance) => instance.name === 'sagaOrchestrator')
    .map((instance) => instance.instanceId)
    .sort();
}

/** Starts two sagas on a host at `version` whose payments fail, and waits until both wait to retry B. */
async function startStuckAtB(version: string, beforeStop?: (url: string) => Promise<void>): Promise<string[]> {
  host = await startHostProcess(ROOT, {
    ...env(),
    AzureFunctionsJobHost__extensions__durableTask__defaultVersion: version,
  });
  // Payments answer 503, so every saga waits ten minutes to retry step B.
  proxy.inject({ kind: { type: 'status', status: 503 }, times: 1000, matches: documentWritesTo('payments') });
  const urls = [await startOrder(host.url), await startOrder(host.url)];
  for (const url of urls) {
    await waitForStatus(`${url}&showHistory=true`, (s) =>
      (s as unknown as Status).historyEvents.some(
        (e) =>
          e.EventType === 'SubOrchestrationInstanceCreated' &&
          e.Name === 'sagaStep' &&
          JSON.stringify(e).includes(':B'),
      ),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  const oldUrl = host.url;
  await beforeStop?.(oldUrl);
  await host.stop();
  proxy.clear();
  return urls.map((url) => url.replace(oldUrl, '@HOST@'));
}

describe('deploying v3 of the saga with v1 and v2 sagas in flight', () => {
  it('finishes v1 and v2 sagas on their own paths and runs new ones on v3', async () => {
    const v1 = await startStuckAtB('1.0');
    const v2 = await startStuckAtB('2.0', async (url) => {
      // docs/saga.md's check before deleting v1/v2 code: unfinished sagas created before the switch.
      expect(await unfinishedCreatedBefore(url, new Date())).toHaveLength(4);
    });
    const switchedAt = new Date();

    // v3 ships (host.json says 3.0); payments are back; skip the ten minutes.
    host = await startHostProcess(ROOT, env(), { timeSkipping: true });
    const finished = async (url: string): Promise<Status> => {
      const done = (await waitForStatus(`${url.replace('@HOST@', host!.url)}&showHistory=true`)) as unknown as Status;
      expect(done.runtimeStatus, JSON.stringify(done.output)).toBe('Completed');
      expect(done.output.status).toBe(200);
      return done;
    };
    for (const url of v1) expect(activitiesOf(await finished(url))).toEqual(['sagaStep', 'sagaStep', 'sagaStep']);
    // v2: steps in their step runners (sub-orchestrations); the credit check in the saga itself.
    for (const url of v2)
      expect(activitiesOf(await finished(url))).toEqual(['sagaStep', 'checkCredit', 'sagaStep', 'sagaStep']);

    const v3 = await finished(await startOrder(host.url));
    expect(activitiesOf(v3)).toEqual(['doActivityA', 'checkCredit', 'doActivityB', 'doActivityC']);
    // None left: the sagaStep orchestration (and the v1/v2 branches) could now be deleted.
    expect(await unfinishedCreatedBefore(host.url, switchedAt)).toEqual([]);
  });
});
