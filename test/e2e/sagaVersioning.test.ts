import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCosmosSettings } from '../../src/services/cosmosClient';
import { seedDemoData } from '../../src/services/seedData';
import { startTestAzurite, type RunningAzurite } from '../support/azuriteProcess';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmosServer';
import { documentWritesTo, startFaultyCosmosProxy, type FaultyCosmosProxy } from '../support/faultyCosmosProxy';
import { startHostProcess, waitForStatus, type HostProcess } from '../support/hostProcess';
import { orderExample } from '../support/orderExamples';

// Shipping v2 of the saga while v1 sagas are in flight: v1 instances finish on the v1 path, new
// ones take v2 (a credit check before the charge), and none fails to replay.
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

describe('deploying v2 of the saga with v1 sagas in flight', () => {
  it('finishes v1 sagas on the v1 path and runs new ones on v2', async () => {
    // v1 is running: payments answer 503, so every saga waits ten minutes to retry step B.
    host = await startHostProcess(ROOT, {
      ...env(),
      AzureFunctionsJobHost__extensions__durableTask__defaultVersion: '1.0',
    });
    proxy.inject({ kind: { type: 'status', status: 503 }, times: 1000, matches: documentWritesTo('payments') });
    const v1 = [await startOrder(host.url), await startOrder(host.url)];
    // Wait until both are at step B (its first attempt failed, the retry timer is ten minutes off).
    for (const url of v1) {
      await waitForStatus(
        url,
        (s) =>
          (s as unknown as { customStatus?: { steps?: { step: string; status: string }[] } }).customStatus?.steps?.some(
            (step) => step.step === 'B' && step.status === 'running',
          ) === true,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const oldUrl = host.url;
    await host.stop();

    // v2 ships (host.json says 2.0); payments are back; skip the ten minutes.
    proxy.clear();
    host = await startHostProcess(ROOT, env(), { timeSkipping: true });
    for (const statusUrl of v1) {
      const done = (await waitForStatus(
        `${statusUrl.replace(oldUrl, host.url)}&showHistory=true`,
      )) as unknown as Status;
      expect(done.runtimeStatus, JSON.stringify(done.output)).toBe('Completed');
      expect(done.output.status).toBe(200);
      expect(activitiesOf(done)).not.toContain('checkCredit');
    }
    const v2 = (await waitForStatus(`${await startOrder(host.url)}&showHistory=true`)) as unknown as Status;
    expect(v2.runtimeStatus).toBe('Completed');
    expect(v2.output.status).toBe(200);
    // Steps run in their step runners (sub-orchestrations); the credit check runs in the saga itself.
    expect(activitiesOf(v2)).toEqual(['sagaStep', 'checkCredit', 'sagaStep', 'sagaStep']);
  });
});
