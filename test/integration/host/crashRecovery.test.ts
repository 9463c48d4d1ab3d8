import fs from 'node:fs';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { afterAll, describe, expect, it } from 'vitest';
import { azuriteFiles, portAnswers } from '../../../host/azurite';
import { isAlive, readRecord, stopDetached } from '../../../host/detachedProcess';
import { cosmosClientOptions, readCosmosSettings } from '../../../src/services/cosmosClient';
import { seedDemoData } from '../../../src/services/seedData';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startCosmosServer } from '../../support/cosmosServer';
import { startHostProcess, waitForStatus, type HostProcess } from '../../support/hostProcess';
import { orderExample } from '../../support/orderExamples';
import { standardPortsAnswer, takeStandardPorts } from '../../support/standardPortsLock';

const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let azurite: RunningAzurite | undefined;
let host: HostProcess | undefined;

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
  // Whatever happened above, no detached Azurite of this test outlives it.
  const record = readRecord(azuriteFiles(APP).pid);
  if (record && isAlive(record.pid)) await stopDetached(record.pid);
  fs.rmSync(path.join(APP, '.azurite'), { recursive: true, force: true });
});

interface HistoryView {
  runtimeStatus: string;
  output: unknown;
  historyEvents: { EventType: string }[];
}

/**
 * Starts 40 instances (activities fanned out, in sequence, sub-orchestrations of which one fails),
 * kills the host with -9 four times at random moments, restarting it each time, and checks that
 * every instance finishes with every history event exactly once.
 */
async function crashAndRecover(env: Record<string, string>, afterKill: () => Promise<void> = () => Promise.resolve()) {
  host = await startHostProcess(APP, env);
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
  const ids = Array.from({ length: 40 }, (_, i) => `crash-${i}`);
  const url = host.url;
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
  let resumed = 0;
  for (let round = 0; round < 4; round++) {
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 100));
    await host.kill();
    await afterKill();
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
}

describe('a host killed with -9 at random moments', () => {
  it('loses no instance and records every event exactly once (40 instances, Azurite of its own)', async () => {
    // Azurite runs as its own process: killing the host must never take the store with it.
    azurite = await startTestAzurite();
    await crashAndRecover({ AzureWebJobsStorage: azurite.connectionString });
    await host?.stop();
    host = undefined;
    await azurite.stop();
    azurite = undefined;
  });

  it('finishes v3 order sagas (races, cancelled timers, compensations) with every effect exactly once', async () => {
    azurite = await startTestAzurite();
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
      // The first kill comes as the last order is accepted, so some sagas are surely in flight
      // however fast they run; later ones at random moments.
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 150));
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
    await azurite.stop();
    azurite = undefined;
  });

  // It may wait for npm start's test (another project) to free the standard ports first.
  it(
    'loses no instance when it started Azurite itself: Azurite outlives each kill and the next start takes it over',
    { timeout: 300_000 },
    async (context) => {
      await takeStandardPorts(context);
      fs.rmSync(path.join(APP, '.azurite'), { recursive: true, force: true });
      const files = azuriteFiles(APP);
      const azurites = new Set<number>();
      await crashAndRecover({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }, async () => {
        // The host is gone; its Azurite still answers, even after a request (a pipe to the dead host would end it).
        const record = readRecord(files.pid);
        expect(record && isAlive(record.pid)).toBe(true);
        azurites.add(record?.pid ?? 0);
        expect((await fetch('http://127.0.0.1:10002/devstoreaccount1/Tables')).status).toBeLessThan(500);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(await portAnswers(10002)).toBe(true);
      });
      // One Azurite all along, logging to the app's .azurite folder.
      expect(azurites.size).toBe(1);
      expect(fs.readFileSync(files.log, 'utf8')).toMatch(
        /Table service is successfully listening at http:\/\/127\.0\.0\.1:10002/,
      );
      // A graceful stop of the host that took it over stops it.
      const [pid] = azurites;
      await host?.stop();
      host = undefined;
      expect(isAlive(pid)).toBe(false);
      expect(await standardPortsAnswer()).toBe(false);
      expect(fs.existsSync(files.pid)).toBe(false);
    },
  );
});

describe('the Azurite a host started, while that host runs', () => {
  it(
    'is used by a second host of the same app, whose stop leaves it to the first',
    { timeout: 300_000 },
    async (context) => {
      await takeStandardPorts(context);
      const env = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
      const first = await startHostProcess(APP, env);
      host = first;
      // Its own task hub: one host writes a hub at a time (see the test of a hub in use).
      const second = await startHostProcess(APP, {
        ...env,
        AzureFunctionsJobHost__extensions__durableTask__hubName: 'SecondHostHub',
      });
      await second.stop();
      const record = readRecord(azuriteFiles(APP).pid);
      expect(record?.owner).toBe(first.child.pid);
      expect(await portAnswers(10002)).toBe(true);
      await first.stop();
      host = undefined;
      expect(record && isAlive(record.pid)).toBe(false);
      expect(await portAnswers(10002)).toBe(false);
    },
  );
});
