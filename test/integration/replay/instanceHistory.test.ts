import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { developmentConnectionString } from '../../../host/azurite';
import { EventType, type HistoryEvent } from '../../../host/durable/history/historyEvent';
import { readHistoryFile } from '../../../host/replay/history/historyFile';
import { HistorySourceError } from '../../../host/replay/historySourceError';
import { readInstanceHistory } from '../../../host/replay/taskHub/instanceHistory';
import { LogStructuredTaskHubStore } from '../../../host/store/logStructuredTaskHubStore';
import type { InstanceRecord } from '../../../host/store/taskHubStore';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { writeAzureStorageHistory } from './azureStorageHubRows';

// Reading an instance's history from a real task hub on Azurite: the local host's own layout
// (through LogStructuredTaskHubStore) and a deployed app's Azure Storage provider layout (rows written
// as DTFx writes them), found by which tables the hub has.

const FIXTURE = path.resolve(__dirname, '../../fixtures/histories/rejected-at-b.json');
let azurite: RunningAzurite;

beforeAll(async () => {
  azurite = await startTestAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

/** The fixture's events as another instance: its id is in ExecutionStarted too. */
function eventsOf(instanceId: string): HistoryEvent[] {
  const [history] = readHistoryFile(FIXTURE);
  return history.events.map((e) =>
    e.EventType === EventType.ExecutionStarted
      ? {
          ...e,
          OrchestrationInstance: { InstanceId: instanceId, ExecutionId: e.OrchestrationInstance?.ExecutionId ?? '' },
        }
      : e,
  );
}

/** Table rows have no nulls: DTFx leaves null members out, so they come back absent. */
function withoutNulls(events: HistoryEvent[]): HistoryEvent[] {
  return events.map(
    (e) =>
      Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null && v !== undefined)) as unknown as HistoryEvent,
  );
}

async function writeHostLayout(hubName: string, instanceId: string, events: HistoryEvent[]): Promise<void> {
  const store = new LogStructuredTaskHubStore(azurite.connectionString, hubName);
  await store.init();
  const started = events.find((e) => e.EventType === EventType.ExecutionStarted)!;
  const executionId = started.OrchestrationInstance?.ExecutionId ?? 'e1';
  const record: InstanceRecord = {
    instanceId,
    name: started.Name ?? '',
    version: started.Version ?? '',
    executionId,
    runtimeStatus: 'Completed',
    createdTime: new Date(started.Timestamp),
    lastUpdatedTime: new Date(started.Timestamp),
    completedTime: new Date(started.Timestamp),
    input: started.Input ?? null,
    output: null,
    customStatus: null,
    parent: null,
    generation: 0,
    historyChunks: 1,
  };
  await store.commitEpisode({
    record,
    etag: undefined,
    newHistory: events,
    historyRow: { executionId, index: 0 },
    consumedMessageIds: [],
  });
  await store.close();
}

async function sourceError(read: Promise<unknown>): Promise<HistorySourceError> {
  const error = await read.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof HistorySourceError)) throw new Error(`expected a HistorySourceError, got ${String(error)}`);
  return error;
}

describe("a deployed app's task hub (Durable Task Azure Storage provider layout)", () => {
  const instanceId = 'orders/2026#7?^x';
  const events = eventsOf(instanceId);
  const executionId =
    events.find((e) => e.EventType === EventType.ExecutionStarted)?.OrchestrationInstance?.ExecutionId ?? '';

  beforeAll(async () => {
    const started = events.findIndex((e) => e.EventType === EventType.ExecutionStarted);
    await writeAzureStorageHistory({
      connectionString: azurite.connectionString,
      hubName: 'DeployedHub',
      instanceId,
      executionId,
      events,
      inBlobs: [[started, 'Input']],
      staleRowsOfExecution: { executionId: 'an-older-execution', count: 3 },
    });
  });

  it('reads the current execution: enum names, _Timestamp, JSON members, the blob, an escaped key; not the sentinel or older rows', async () => {
    const history = await readInstanceHistory({
      connection: azurite.connectionString,
      hubName: 'DeployedHub',
      instanceId,
    });
    expect(history.layout).toBe('azure-storage');
    expect(history).toMatchObject({ orchestrator: 'sagaOrchestrator', instanceId, executionId });
    expect(history.events).toEqual(withoutNulls(events));
    expect(history.source).toBe(`task hub DeployedHub (Azure Storage provider layout), instance '${instanceId}'`);
  });

  it('finds the hub whatever the case of its name', async () => {
    const history = await readInstanceHistory({
      connection: azurite.connectionString,
      hubName: 'deployedhub',
      instanceId,
    });
    expect(history.events).toHaveLength(events.length);
  });

  it('an instance the hub does not hold', async () => {
    const error = await sourceError(
      readInstanceHistory({ connection: azurite.connectionString, hubName: 'DeployedHub', instanceId: 'nobody' }),
    );
    expect(error.problem).toBe('instance-not-found');
    expect(error.message).toBe("Task hub 'DeployedHub' has no instance 'nobody' (looked in DeployedHubHistory).");
  });

  it('asked for the host layout, the hub is not there', async () => {
    const error = await sourceError(
      readInstanceHistory({ connection: azurite.connectionString, hubName: 'DeployedHub', instanceId, layout: 'host' }),
    );
    expect(error.problem).toBe('hub-not-found');
    expect(error.message).toMatch(
      /^Task hub 'DeployedHub' does not exist at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1: there is no table DeployedHubTaskHub \(this host's layout\)\.$/,
    );
  });
});

describe("the local host's own task hub", () => {
  const instanceId = 'local-saga-1';

  beforeAll(async () => {
    await writeHostLayout('LocalHub', instanceId, eventsOf(instanceId));
  });

  it('reads the instance through the host store', async () => {
    const history = await readInstanceHistory({
      connection: azurite.connectionString,
      hubName: 'LocalHub',
      instanceId,
    });
    expect(history.layout).toBe('host');
    expect(history.events).toEqual(eventsOf(instanceId));
  });

  it('an instance the hub does not hold', async () => {
    const error = await sourceError(
      readInstanceHistory({ connection: azurite.connectionString, hubName: 'LocalHub', instanceId: 'nobody' }),
    );
    expect(error.problem).toBe('instance-not-found');
  });
});

describe('finding the hub', () => {
  it('a hub of neither layout', async () => {
    const error = await sourceError(
      readInstanceHistory({ connection: azurite.connectionString, hubName: 'NoSuchHub', instanceId: 'x' }),
    );
    expect(error.problem).toBe('hub-not-found');
    expect(error.message).toMatch(
      /there is no table NoSuchHubTaskHub \(this host's layout\) or NoSuchHubHistory \(Azure Storage provider layout\)\.$/,
    );
  });

  it('an instance in both layouts of one hub name: the caller chooses', async () => {
    await writeHostLayout('TwiceHub', 'twice', eventsOf('twice'));
    const events = eventsOf('twice');
    await writeAzureStorageHistory({
      connectionString: azurite.connectionString,
      hubName: 'TwiceHub',
      instanceId: 'twice',
      executionId: 'x1',
      events,
    });
    const error = await sourceError(
      readInstanceHistory({ connection: azurite.connectionString, hubName: 'TwiceHub', instanceId: 'twice' }),
    );
    expect(error.problem).toBe('ambiguous-layout');
    const chosen = await readInstanceHistory({
      connection: azurite.connectionString,
      hubName: 'TwiceHub',
      instanceId: 'twice',
      layout: 'azure-storage',
    });
    expect(chosen.layout).toBe('azure-storage');
  });

  it('storage that does not answer', async () => {
    const port = await closedPort();
    const connection = developmentConnectionString({ blob: port, queue: port, table: port });
    const error = await sourceError(readInstanceHistory({ connection, hubName: 'AnyHub', instanceId: 'x' }));
    expect(error.problem).toBe('storage-not-answering');
    expect(error.message).toMatch(
      new RegExp(
        `^Azure Storage at http://127\\.0\\.0\\.1:${port}/devstoreaccount1 does not answer \\(listing tables: .*\\)\\. Is Azurite running`,
      ),
    );
  });

  it('a connection string that cannot be used', async () => {
    const error = await sourceError(
      readInstanceHistory({ connection: 'not a connection string', hubName: 'AnyHub', instanceId: 'x' }),
    );
    expect(error.problem).toBe('bad-connection');
  });
});

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
