import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCosmosClient, readCosmosSettings } from '../../src/services/cosmosClient';
import { openSagaStores } from '../../src/services/containers';
import { incidentsOfSaga } from '../../src/services/incidents';
import type { AccountDocument } from '../../src/services/payment';
import { seedDemoData } from '../../src/services/seedData';
import { startTestAzurite, type RunningAzurite } from '../support/azuriteProcess';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmosServer';
import { documentWritesTo, startFaultyCosmosProxy, type FaultyCosmosProxy } from '../support/faultyCosmosProxy';
import { startHostProcess, waitForStatus, type HostProcess } from '../support/hostProcess';
import { orderExample } from '../support/orderExamples';

// The saga's 5-minute deadline, tested in real milliseconds on the host's time-skipping clock:
// payments keep answering 503 and a retry waits 10 minutes, so the deadline fires first; 30
// minutes of retries later, B's refund has failed as well and the saga records an incident.
const ROOT = path.resolve(__dirname, '../..');
let azurite: RunningAzurite;
let cosmos: CosmosTestServer;
let proxy: FaultyCosmosProxy;
let host: HostProcess;

beforeAll(async () => {
  azurite = await startTestAzurite();
  cosmos = await startCosmosServer();
  await seedDemoData({
    settings: readCosmosSettings({
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_DATABASE: 'saga-deadline',
    }),
  });
  proxy = await startFaultyCosmosProxy(cosmos.endpoint);
  host = await startHostProcess(
    ROOT,
    {
      AzureWebJobsStorage: azurite.connectionString,
      COSMOS_ENDPOINT: proxy.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_DATABASE: 'saga-deadline',
      SAGA_DEADLINE: 'PT5M',
      SAGA_RETRY_FIRST_INTERVAL: 'PT10M',
      SAGA_RETRY_MAX_INTERVAL: 'PT10M',
      // Its daily timer would pull the skipping clock on and on (test/e2e/purgeSagaHistory.test.ts).
      'AzureWebJobs.purgeSagaHistory.Disabled': 'true',
    },
    { timeSkipping: true },
  );
});

afterAll(async () => {
  await host?.stop();
  await proxy?.stop();
  await cosmos?.stop();
  await azurite?.stop();
});

describe('the saga deadline under time skipping', () => {
  it('compensates the steps when the deadline passes before they finish', async () => {
    // Payments answer 503: B's next attempt (ten minutes off) would start after the five-minute
    // deadline, so the v3 saga takes the deadline path instead of waiting.
    proxy.inject({ kind: { type: 'status', status: 503 }, times: 1000, matches: documentWritesTo('payments') });
    const response = await fetch(`${host.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: orderExample('order-ok.json').body,
    });
    expect(response.status).toBe(202);
    const { statusQueryGetUri } = (await response.json()) as { statusQueryGetUri: string };
    const done = await waitForStatus(statusQueryGetUri, undefined, 60_000);
    expect(done.runtimeStatus, JSON.stringify(done.output)).toBe('Completed');
    expect(done.output).toMatchObject({ status: 500, body: { outcome: 'failed', cause: 'deadline' } });
    // Payments are still down, so B's refund fails after its retries too: an incident, not silence.
    expect(done.output).toMatchObject({
      body: { compensated: ['A'], compensationFailed: ['B'], needsAttention: true },
    });
    expect((done.output as { body: { incidents: string[] } }).body.incidents).toHaveLength(1);
    // Minutes of saga time passed while the test waited at most a minute (waitForStatus above).
    expect(
      new Date(String(done.lastUpdatedTime)).getTime() - new Date(String(done.createdTime)).getTime(),
    ).toBeGreaterThanOrEqual(5 * 60 * 1000);
  });

  it('under a Cosmos outage longer than every retry, ends as needing attention with its incidents in the task hub, and the monitor lists it once Cosmos is back', async () => {
    proxy.clear();
    // Hold B's charge until the outage has begun: A has committed, and so will the charge.
    proxy.inject({ kind: { type: 'hold' }, matches: documentWritesTo('payments') });
    const response = await fetch(`${host.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: orderExample('order-ok.json').body,
    });
    expect(response.status).toBe(202);
    const { id: sagaId, statusQueryGetUri } = (await response.json()) as { id: string; statusQueryGetUri: string };
    for (let waited = 0; proxy.served.hold === 0; waited += 20) {
      expect(waited, 'B’s charge to reach the proxy').toBeLessThan(30_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // From now on Cosmos answers nothing but 503: every retry (30 minutes of them) runs out.
    proxy.inject({ kind: { type: 'status', status: 503 }, times: 1_000_000 });
    proxy.release();
    const done = await waitForStatus(statusQueryGetUri, undefined, 60_000);
    expect(done.runtimeStatus, JSON.stringify(done.output)).toBe('Completed');
    const body = (done.output as { body: Record<string, unknown> }).body;
    expect(body).toMatchObject({ outcome: 'failed', needsAttention: true, incidents: [] });
    expect(body.compensationFailed).toEqual(expect.arrayContaining(['A', 'B']));
    // The incidents could not reach Cosmos: the task hub holds them (output and custom status),
    // and the host log has one loud line per step.
    expect([...(body.incidentsNotRecorded as string[])].sort()).toEqual(
      [...(body.compensationFailed as string[])].sort(),
    );
    expect(done.customStatus).toMatchObject({ needsAttention: true });
    for (const step of ['A', 'B'])
      expect(host.output()).toMatch(
        new RegExp(`saga ${sagaId}: NEEDS ATTENTION – \\w+${step}\\b.* could not be recorded`),
      );

    // Cosmos is back. Nothing wrote the incidents there behind the saga's back; the money it took
    // is still taken, and the saga is where a person finds it: the monitor's needs-attention list.
    proxy.clear();
    const client = createCosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key, databaseId: 'saga-deadline' });
    try {
      const stores = await openSagaStores(client, 'saga-deadline');
      expect(await incidentsOfSaga(stores.incidents, sagaId)).toEqual([]);
      const { resource: account } = await stores.payments.item('cust-alice', 'cust-alice').read<AccountDocument>();
      expect(Object.keys(account?.charges ?? {})).toContain(sagaId);
    } finally {
      client.dispose();
    }
    const listed = (await (await fetch(`${host.url}/api/monitor/instances?status=Completed`)).json()) as {
      instances: { instanceId: string; needsAttention: boolean }[];
    };
    expect(listed.instances).toContainEqual(expect.objectContaining({ instanceId: sagaId, needsAttention: true }));
  });
});
