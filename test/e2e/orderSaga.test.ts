import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosmosClientOptions, readCosmosSettings } from '../../src/services/cosmosClient';
import { seedDemoData } from '../../src/services/seedData';
import { startTestAzurite, type RunningAzurite } from '../support/azuriteProcess';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmosServer';
import { startHostProcess, waitForStatus, type HostProcess } from '../support/hostProcess';
import { orderExamples } from '../support/orderExamples';

// The whole app on the local host: real HTTP, real Azurite, a real Cosmos-protocol server, and the
// same request bodies the README's curl walk-through sends.
const ROOT = path.resolve(__dirname, '../..');
let azurite: RunningAzurite;
let cosmosServer: CosmosTestServer;
let host: HostProcess;
let cosmos: CosmosClient;
const settings: Record<string, string> = { COSMOS_DATABASE: 'saga-e2e' };

async function availableStock(): Promise<Record<string, number>> {
  const { resources } = await cosmos
    .database('saga-e2e')
    .container('inventory')
    .items.query<{ sku: string; available: number }>('SELECT c.sku, c.available FROM c')
    .fetchAll();
  return Object.fromEntries(resources.map((r) => [r.sku, r.available]));
}

beforeAll(async () => {
  azurite = await startTestAzurite();
  cosmosServer = await startCosmosServer();
  settings.COSMOS_ENDPOINT = cosmosServer.endpoint;
  settings.COSMOS_KEY = cosmosServer.key;
  const cosmosSettings = readCosmosSettings(settings);
  cosmos = new CosmosClient(cosmosClientOptions(cosmosSettings));
  await seedDemoData({ settings: cosmosSettings });
  host = await startHostProcess(ROOT, { ...settings, AzureWebJobsStorage: azurite.connectionString });
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
  cosmos?.dispose();
  await cosmosServer?.stop();
});

describe('the order saga end to end on the local host', () => {
  for (const example of orderExamples()) {
    it(`${example.file} → HTTP ${example.expected.httpStatus}${example.expected.saga ? `, saga ${example.expected.saga.outcome}` : ''}`, async () => {
      const before = await availableStock();
      const response = await fetch(`${host.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: example.body,
      });
      expect(response.status).toBe(example.expected.httpStatus);
      const body = (await response.json()) as { statusQueryGetUri?: string; errors?: { path: string }[] };
      if (!example.expected.saga) {
        for (const errorPath of example.expected.errorPaths ?? [])
          expect(body.errors?.map((e) => e.path)).toContain(errorPath);
        return;
      }
      expect(response.headers.get('location')).toBe(body.statusQueryGetUri);
      const status = await waitForStatus(`${body.statusQueryGetUri!}&showHistory=true`);
      expect(status.runtimeStatus).toBe('Completed');
      // v3 (host.json defaultVersion 3.0): the saga calls the do-activities itself, no step children.
      const events = status.historyEvents as { EventType: string; FunctionName?: string }[];
      expect(events.filter((e) => e.EventType === 'ExecutionStarted').map((e) => e.FunctionName)).toEqual([
        'sagaOrchestrator',
      ]);
      expect(events.some((e) => e.FunctionName === 'sagaStep')).toBe(false);
      expect(events.filter((e) => e.EventType === 'TaskCompleted').map((e) => e.FunctionName)).toContain('doActivityA');
      const output = status.output as { status: number; body: Record<string, unknown> };
      expect(output.status).toBe(example.expected.saga.status);
      expect(output.body).toMatchObject({ outcome: example.expected.saga.outcome });
      const after = await availableStock();
      if (example.expected.saga.outcome === 'completed') {
        expect(Object.values(after).reduce((a, b) => a + b, 0)).toBeLessThan(
          Object.values(before).reduce((a, b) => a + b, 0),
        );
      } else {
        // A rejected saga leaves no stock held: every reservation was compensated.
        expect(after).toEqual(before);
      }
      const view = (await (await fetch(`${host.url}/api/orders/${String(status.instanceId)}`)).json()) as {
        runtimeStatus: string;
      };
      expect(view.runtimeStatus).toBe('Completed');
    });
  }

  it('starts one saga per Idempotency-Key and answers a repeat with the same status URLs', async () => {
    const ok = orderExamples().find((e) => e.file === 'order-ok.json')!;
    const send = (): Promise<Response> =>
      fetch(`${host.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': 'order-e2e-1' },
        body: ok.body,
      });
    const [first, second] = await Promise.all([send(), send()]);
    expect([first.status, second.status]).toEqual([202, 202]);
    const a = (await first.json()) as { id: string; statusQueryGetUri: string };
    const b = (await second.json()) as { id: string; statusQueryGetUri: string };
    expect(a.id).toBe(b.id);
    expect(a.statusQueryGetUri).toBe(b.statusQueryGetUri);
    await waitForStatus(a.statusQueryGetUri);
    const instances = (await (
      await fetch(`${host.url}/runtime/webhooks/durabletask/instances/?instanceIdPrefix=order-e2e-1`)
    ).json()) as { name: string }[];
    // One saga, and on v3 no step sub-orchestrations (order-e2e-1:A, :B, :C in v1/v2).
    expect(instances.map((i) => i.name)).toEqual(['sagaOrchestrator']);
  });

  it('reports saga figures that match the sagas that ran (GET /api/saga-metrics)', async () => {
    const figures = (await (await fetch(`${host.url}/api/saga-metrics`)).json()) as {
      total: number;
      outcomes: { running: number; completed: number; rejectedAt: Record<string, number>; failed: number };
      latency: { endToEnd: { count: number; p50Ms: number }; steps: Record<string, { count: number }> };
    };
    const sagas = orderExamples().filter((e) => e.expected.saga);
    const expectedRejected = (step: string): number =>
      sagas.filter((e) => e.expected.saga?.outcome === 'rejected' && e.expected.saga.step === step).length;
    // Every example saga, plus the one started twice with an Idempotency-Key.
    expect(figures.total).toBe(sagas.length + 1);
    expect(figures.outcomes).toMatchObject({
      running: 0,
      completed: sagas.filter((e) => e.expected.saga?.outcome === 'completed').length + 1,
      rejectedAt: { A: expectedRejected('A'), B: expectedRejected('B'), C: expectedRejected('C') },
      failed: 0,
    });
    expect(figures.latency.endToEnd.count).toBe(sagas.length + 1);
    expect(figures.latency.endToEnd.p50Ms).toBeGreaterThan(0);
    expect((await fetch(`${host.url}/api/saga-metrics?createdFrom=soon`)).status).toBe(400);
  });

  it('answers 404 for an unknown order', async () => {
    expect((await fetch(`${host.url}/api/orders/does-not-exist`)).status).toBe(404);
  });
});
