import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosmosClient } from '@azure/cosmos';
import { cosmosClientOptions, readCosmosSettings } from '../../../src/services/cosmosClient';
import { seedDemoData } from '../../../src/services/seedData';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startCosmosServer } from '../../support/cosmosServer';
import { startHostProcess, waitForStatus, type HostProcess } from '../../support/hostProcess';
import { orderExample } from '../../support/orderExamples';

const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let azurite: RunningAzurite;
let host: HostProcess | undefined;

beforeAll(async () => {
  // Azurite runs as its own process: killing the host must never take the store with it.
  azurite = await startTestAzurite();
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

interface HistoryView {
  runtimeStatus: string;
  output: unknown;
  historyEvents: { EventType: string }[];
}

describe('a host killed with -9 at random moments', () => {
  it('loses no instance and records every event exactly once (40 instances)', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString };
    host = await startHostProcess(APP, env);
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    const ids = Array.from({ length: 40 }, (_, i) => `crash-${i}`);
    const url = host.url;
    // Activities fanned out, activities in sequence, and sub-orchestrations (one of which fails).
    const kind = (i: number): 'fanOut' | 'parent' | 'sequence' =>
      i % 3 === 0 ? 'fanOut' : i % 5 === 1 ? 'parent' : 'sequence';
    const starts = await Promise.all(
      ids.map((id, i) =>
        fetch(`${url}/runtime/webhooks/durabletask/orchestrators/${kind(i)}/${id}`, {
          method: 'POST',
          body: kind(i) === 'fanOut' ? '12' : kind(i) === 'sequence' ? JSON.stringify(names) : '',
        }),
      ),
    );
    expect(starts.map((r) => r.status)).toEqual(ids.map(() => 202));
    // Kill at random points while the instances run, restart, and do it again.
    let resumed = 0;
    for (let round = 0; round < 4; round++) {
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 100));
      await host.kill();
      host = await startHostProcess(APP, env);
      if (/Resumed [1-9]\d* unfinished instance/.test(host.output())) resumed++;
    }
    // The kills really interrupted work that the restarts then picked up.
    expect(resumed).toBeGreaterThan(0);
    for (const [i, id] of ids.entries()) {
      const status = (await waitForStatus(
        `${host.url}/runtime/webhooks/durabletask/instances/${id}`,
      )) as unknown as HistoryView;
      expect({ id, runtimeStatus: status.runtimeStatus }).toEqual({ id, runtimeStatus: 'Completed' });
      if (kind(i) === 'parent') {
        expect(status.output).toMatchObject({ ok: { child: `${id}-child`, doubled: 42 } });
        expect((status.output as { failure: string }).failure).toContain('child failed on purpose');
        continue;
      }
      expect(status.output).toEqual(kind(i) === 'fanOut' ? 66 : names.map((n) => `Hello ${n}`));
      const full = (await (
        await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}?showHistory=true`)
      ).json()) as HistoryView;
      const count = (type: string): number => full.historyEvents.filter((e) => e.EventType === type).length;
      expect({
        id,
        started: count('ExecutionStarted'),
        completed: count('ExecutionCompleted'),
        tasks: count('TaskCompleted'),
      }).toEqual({
        id,
        started: 1,
        completed: 1,
        tasks: kind(i) === 'fanOut' ? 12 : names.length,
      });
      // Nothing left scheduled without its answer.
      expect(count('TaskScheduled')).toBe(0);
    }
  });

  it('finishes v3 order sagas (races, cancelled timers, compensations) with every effect exactly once', async () => {
    await host?.stop();
    const cosmos = await startCosmosServer();
    const settings = readCosmosSettings({
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_DATABASE: 'saga-crash',
    });
    await seedDemoData({ settings });
    const env = {
      AzureWebJobsStorage: azurite.connectionString,
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_DATABASE: 'saga-crash',
    };
    const appRoot = path.resolve(__dirname, '../../..');
    host = await startHostProcess(appRoot, env);
    // 8 orders that complete, 4 rejected at C (charged, then refunded and released).
    const sagas = Array.from({ length: 12 }, (_, i) => ({
      id: `crash-v3-${i}`,
      file: i % 3 === 2 ? 'order-rejected-at-c-not-served.json' : 'order-ok.json',
    }));
    for (const saga of sagas) {
      const response = await fetch(`${host.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': saga.id },
        body: orderExample(saga.file).body,
      });
      expect(response.status).toBe(202);
    }
    let resumed = 0;
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 150));
      await host.kill();
      host = await startHostProcess(appRoot, env);
      if (/Resumed [1-9]\d* unfinished instance/.test(host.output())) resumed++;
    }
    expect(resumed).toBeGreaterThan(0);
    for (const saga of sagas) {
      const status = (await waitForStatus(
        `${host.url}/runtime/webhooks/durabletask/instances/${saga.id}?showHistory=true`,
      )) as unknown as HistoryView & { output: { status: number } };
      const count = (type: string): number => status.historyEvents.filter((e) => e.EventType === type).length;
      expect({ id: saga.id, status: status.output.status, started: count('ExecutionStarted') }).toEqual({
        id: saga.id,
        status: saga.file === 'order-ok.json' ? 200 : 400,
        started: 1,
      });
      // A, credit, B, C; the rejected ones also rejectB and rejectA. Nothing left unanswered.
      expect(count('TaskCompleted')).toBe(saga.file === 'order-ok.json' ? 4 : 6);
      expect(count('TaskScheduled')).toBe(0);
    }
    // Activities ran at least once; their effects happened exactly once.
    const client = new CosmosClient(cosmosClientOptions(settings));
    const database = client.database('saga-crash');
    const stock = async (sku: string): Promise<number> =>
      (await database.container('inventory').item(sku, sku).read<{ available: number }>()).resource?.available ?? -1;
    expect({ keyboards: await stock('SKU-KEYBOARD'), mice: await stock('SKU-MOUSE') }).toEqual({
      keyboards: 25 - 8,
      mice: 50 - 2 * 8,
    });
    const alice = await database
      .container('payments')
      .item('cust-alice', 'cust-alice')
      .read<{ balanceCents: number }>();
    expect(alice.resource?.balanceCents).toBe(500_000 - 8 * 13_997);
    client.dispose();
    await host.stop();
    host = undefined;
    await cosmos.stop();
  });
});
