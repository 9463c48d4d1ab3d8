import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HistoryEvent } from '../../../../host/durable/history/historyEvent';
import type { InstanceRecord } from '../../../../host/store/taskHubStore';
import { TaskHubInUseError } from '../../../../host/store/hubOwnership';
import { InstanceIndex } from '../../../../host/store/instanceIndex';
import { commitLine } from '../../../../host/store/loggedRow';
import { rowKeys, shardOf } from '../../../../host/store/tableKeys';
import { LogStructuredTaskHubStore } from '../../../../host/store/logStructuredTaskHubStore';
import { StoreConflictError } from '../../../../host/store/taskHubStore';
import { startTestAzurite, type RunningAzurite } from '../../../support/azuriteProcess';
import { startStorageFaultProxy } from '../../../support/storageFaultProxy';
import {
  commitNext,
  crashScenario,
  episodeEvents,
  executionOf,
  holdScenario,
  messageEvent,
  recordOf,
  tornScenario,
  type ChildScenario,
} from '../../../support/storeCrashChild';

// The task hub store is log-structured: a commit is an append to the hub's commit log, readable at
// once; a checkpoint writes the log to the table; a new owner applies what a dead one left.
const ROOT = path.resolve(__dirname, '../../../..');
const CHILD_SOURCE = path.join(ROOT, 'test/support/storeCrashChild.ts');
const CHILD_SCRIPT = path.join(ROOT, 'dist/test/support/storeCrashChild.js');
const BUILT_STORE = path.join(ROOT, 'dist/host/store/logStructuredTaskHubStore.js');
const built = fs.existsSync(BUILT_STORE);
if (!built) console.warn(`Skipping the child-process specifications: ${BUILT_STORE} is missing (run npm run build).`);

let azurite: RunningAzurite;
const stores: LogStructuredTaskHubStore[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
  if (built) {
    // The build compiles what host/, src/, scripts/ and bench/ import; the child script is compiled
    // here, next to the compiled test support it sits with, so its imports find dist/host.
    const output = ts.transpileModule(fs.readFileSync(CHILD_SOURCE, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: CHILD_SOURCE,
    });
    fs.mkdirSync(path.dirname(CHILD_SCRIPT), { recursive: true });
    fs.writeFileSync(CHILD_SCRIPT, output.outputText);
  }
});

afterEach(async () => {
  for (const child of children.splice(0)) await killChild(child);
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
});

afterAll(async () => {
  await azurite?.stop();
});

// --- helpers ----------------------------------------------------------------------------------

let hubCount = 0;
/** A hub of each test's own: tests never share a lease or a log. */
function newHub(name: string): string {
  hubCount++;
  return `${name}${String(hubCount)}`;
}

function openStore(hub: string, role: 'owner' | 'reader' = 'owner'): LogStructuredTaskHubStore {
  const store = new LogStructuredTaskHubStore(azurite.connectionString, hub, { role });
  stores.push(store);
  return store;
}

async function ownerStore(hub: string): Promise<LogStructuredTaskHubStore> {
  const store = openStore(hub);
  await store.init();
  return store;
}

function logContainer(hub: string): ContainerClient {
  return BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    `${hub.toLowerCase()}-log`,
  );
}

function segmentName(segment: number): string {
  return `segment-${String(segment).padStart(12, '0')}`;
}

async function segmentsOf(hub: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of logContainer(hub).listBlobsFlat({ prefix: 'segment-' })) names.push(blob.name);
  return names.sort();
}

function tableOf(hub: string): TableClient {
  return TableClient.fromConnectionString(azurite.connectionString, `${hub}TaskHub`, {
    allowInsecureConnection: true,
  });
}

type TableRow = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** Every row of the hub's table, read directly, by row key. */
async function tableRows(hub: string): Promise<Map<string, TableRow>> {
  const rows = new Map<string, TableRow>();
  for await (const row of tableOf(hub).listEntities()) rows.set(String(row.rowKey), row as TableRow);
  return rows;
}

function historyRowsOf(rows: Map<string, TableRow>, instanceId: string): TableRow[] {
  const prefix = rowKeys.historyPrefix(instanceId, executionOf(instanceId));
  return [...rows.values()].filter((r) => r.rowKey.startsWith(prefix)).sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
}

function eventsOf(instanceId: string, episodes: number): HistoryEvent[] {
  return Array.from({ length: episodes }, (_, i) => episodeEvents(instanceId, i)).flat();
}

/** Runs the child host of test/support/storeCrashChild.ts; resolves once it printed what it committed. */
async function startChild(hub: string, scenario: ChildScenario): Promise<{ child: ChildProcess; segment: number }> {
  const child = spawn(process.execPath, [CHILD_SCRIPT, azurite.connectionString, hub, scenario], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const segment = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child did not commit: ${output}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /committed (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the child exited with ${String(code)}: ${output}`));
    });
  });
  return { child, segment };
}

/** kill -9, and wait until the process is gone (reaped), so its pid no longer answers. */
async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

// --- specifications ---------------------------------------------------------------------------

describe('a committed episode', () => {
  it('is readable at once from the log while the table does not have it, and in the table after a checkpoint', async () => {
    const hub = newHub('CommitRead');
    const store = await ownerStore(hub);
    expect(await segmentsOf(hub)).toEqual([segmentName(1)]);

    const etag = await commitNext(store, 'order-1', 0, undefined);
    const read = await store.getInstance('order-1');
    expect(read).toEqual({ value: recordOf('order-1', 1), etag });
    expect(await store.getHistory(read!.value)).toEqual(eventsOf('order-1', 1));
    expect(await tableRows(hub)).toEqual(new Map());

    await store.checkpoint();
    const rows = await tableRows(hub);
    expect(rows.get(rowKeys.instance('order-1'))).toMatchObject({
      partitionKey: shardOf('order-1'),
      Kind: 'I',
      InstanceId: 'order-1',
      RuntimeStatus: 'Running',
      HistoryChunks: 1,
    });
    const history = historyRowsOf(rows, 'order-1');
    expect(history).toHaveLength(1);
    expect(JSON.parse(String(history[0].Events))).toEqual(eventsOf('order-1', 1));
    // The sealed segment is gone; commits go to the next one.
    expect(await segmentsOf(hub)).toEqual([segmentName(2)]);
    // Read through the table now.
    const again = await store.getInstance('order-1');
    expect(again?.value).toEqual(recordOf('order-1', 1));
    expect(await store.getHistory(again!.value)).toEqual(eventsOf('order-1', 1));
  });

  it('takes the ETag the last commit returned and refuses a stale one or a second creation', async () => {
    const store = await ownerStore(newHub('CommitEtag'));
    const first = await commitNext(store, 'order-2', 0, undefined);
    const second = await commitNext(store, 'order-2', 1, first);
    expect(second).not.toBe(first);
    await expect(commitNext(store, 'order-2', 2, first)).rejects.toThrow(/changed concurrently/);
    await expect(commitNext(store, 'order-2', 0, undefined)).rejects.toThrow(/exists/);
    expect((await store.getInstance('order-2'))?.etag).toBe(second);
  });

  it('shares an append with the commits of other instances that arrive while one is in flight (group commit)', async () => {
    const hub = newHub('GroupCommit');
    const store = await ownerStore(hub);
    const ids = Array.from({ length: 50 }, (_, i) => `group-${String(i)}`);
    // First episodes read the table (is the id free?), so they reach the log at different moments.
    const etags = await Promise.all(ids.map((id) => commitNext(store, id, 0, undefined)));

    // Read before the background checkpoint (seconds after the first commit) seals the segment.
    const segment = logContainer(hub).getAppendBlobClient(segmentName(1));
    const blocks = async (): Promise<number> => (await segment.getProperties()).blobCommittedBlockCount ?? 0;
    const before = await blocks();
    // Second episodes, all ready at once: one goes out, the rest queue up behind it and share.
    await Promise.all(ids.map((id, i) => commitNext(store, id, 1, etags[i])));
    const appends = (await blocks()) - before;
    const lines = (await segment.downloadToBuffer())
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    expect(lines).toHaveLength(100);
    expect(appends).toBeGreaterThanOrEqual(1);
    expect(appends).toBeLessThan(10);

    for (const id of ids) expect((await store.getInstance(id))?.value).toEqual(recordOf(id, 2));
    await store.checkpoint();
    const rows = await tableRows(hub);
    for (const id of ids) expect(rows.has(rowKeys.instance(id))).toBe(true);
  });
});

describe('an idle log', () => {
  it('takes the commits made in the same turn of the event loop in one append (answers a worker sent together)', async () => {
    const hub = newHub('SameTurn');
    const store = await ownerStore(hub);
    const ids = Array.from({ length: 8 }, (_, i) => `turn-${String(i)}`);
    const etags = await Promise.all(ids.map((id) => commitNext(store, id, 0, undefined)));
    const segment = logContainer(hub).getAppendBlobClient(segmentName(1));
    const blocks = async (): Promise<number> => (await segment.getProperties()).blobCommittedBlockCount ?? 0;
    const before = await blocks();
    await Promise.all(ids.map((id, i) => commitNext(store, id, 1, etags[i])));
    expect((await blocks()) - before).toBe(1);
  });
});

describe('a start', () => {
  const pendingRecord = (instanceId: string): InstanceRecord => ({
    ...recordOf(instanceId, 0),
    runtimeStatus: 'Pending',
  });

  it('with an id the host made up is logged like a commit, with no table request; one the client named is written to the table while the store does not know every id yet', async () => {
    const hub = newHub('Start');
    const store = openStore(hub);
    // An open store reads the hub's instance ids in the background; until it has them, it asks the table.
    const indexed = vi.spyOn(InstanceIndex.prototype, 'load').mockImplementation(() => new Promise(() => undefined));
    await store.init();
    indexed.mockRestore();
    const etag = await store.putInstance(pendingRecord('made-up'), undefined, { newId: true });
    expect(await tableRows(hub)).toEqual(new Map());
    expect(await store.getInstance('made-up')).toEqual({ value: pendingRecord('made-up'), etag });
    // The first episode goes on from the ETag the create returned; the id cannot be created again.
    const first = await commitNext(store, 'made-up', 0, etag);
    await expect(store.putInstance(pendingRecord('made-up'), undefined, { newId: true })).rejects.toThrow(/exists/);

    await store.putInstance(pendingRecord('named'), undefined);
    expect([...(await tableRows(hub)).keys()]).toEqual([rowKeys.instance('named')]);

    await store.checkpoint();
    const rows = await tableRows(hub);
    expect(rows.get(rowKeys.instance('made-up'))).toMatchObject({ RuntimeStatus: 'Running', HistoryChunks: 1 });
    expect((await store.getInstance('made-up'))?.etag).toBe(first);
  });

  it('with an id the client named is looked up in memory once the store knows every id of the hub: a free one is logged, a taken one refused, also after a restart and a purge', async () => {
    const hub = newHub('Named');
    const earlier = await ownerStore(hub);
    await earlier.putInstance(pendingRecord('taken'), undefined);
    await earlier.close();

    const proxy = await startStorageFaultProxy(azurite.ports);
    try {
      const store = new LogStructuredTaskHubStore(proxy.connectionString, hub);
      stores.push(store);
      await store.init();
      expect(await store.instancesIndexed()).toBe(true);
      const tableRequests = (): number => proxy.requests.filter((r) => r.service === 'table').length;
      // Counted with checkpoints held back: their table writes are not what is measured here.
      const checkpoint = store.checkpoint.bind(store);
      const holdCheckpoints = (): void => void (store.checkpoint = () => Promise.resolve());
      holdCheckpoints();
      const before = tableRequests();

      // The starter's look-up and create of a fresh key: neither asks the table.
      expect(await store.getInstance('fresh')).toBeUndefined();
      const etag = await store.putInstance(pendingRecord('fresh'), undefined);
      expect(tableRequests()).toBe(before);
      store.checkpoint = checkpoint;
      expect(await tableRows(hub)).not.toContain(rowKeys.instance('fresh'));
      expect(await store.getInstance('fresh')).toEqual({ value: pendingRecord('fresh'), etag });
      await expect(store.putInstance(pendingRecord('fresh'), undefined)).rejects.toThrow(StoreConflictError);

      // What an earlier run left in the table is known to be taken.
      await expect(store.putInstance(pendingRecord('taken'), undefined)).rejects.toThrow(StoreConflictError);
      expect((await store.getInstance('taken'))?.value).toEqual(pendingRecord('taken'));

      // A purged id is free again, and a sub-orchestration's first commit creates without a look-up.
      expect(await store.purgeInstance('taken')).toBe(true);
      expect(await store.getInstance('taken')).toBeUndefined();
      holdCheckpoints();
      const afterPurge = tableRequests();
      await commitNext(store, 'child', 0, undefined);
      await store.putInstance(pendingRecord('taken'), undefined);
      expect(tableRequests()).toBe(afterPurge);
      store.checkpoint = checkpoint;

      await store.close();
      const rows = await tableRows(hub);
      for (const id of ['fresh', 'taken', 'child']) expect(rows.has(rowKeys.instance(id))).toBe(true);
    } finally {
      await proxy.stop();
    }
  });
});

describe('optimistic concurrency of commits', () => {
  it('refuses an ETag a later commit replaced, also once a checkpoint wrote that commit to the table', async () => {
    const store = await ownerStore(newHub('StaleEtag'));
    const first = await commitNext(store, 'stale-1', 0, undefined);
    await commitNext(store, 'stale-1', 1, first);
    await store.checkpoint();
    await expect(commitNext(store, 'stale-1', 2, first)).rejects.toBeInstanceOf(StoreConflictError);
    expect((await store.getInstance('stale-1'))?.value.historyChunks).toBe(2);
  });

  it('accepts only one of two commits made at the same time with the same ETag', async () => {
    const store = await ownerStore(newHub('RaceEtag'));
    const etag = await commitNext(store, 'race-1', 0, undefined);
    const results = await Promise.allSettled([
      commitNext(store, 'race-1', 1, etag),
      commitNext(store, 'race-1', 1, etag),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('creates an instance only once when two first episodes of it are committed at the same time', async () => {
    const store = await ownerStore(newHub('RaceCreate'));
    const results = await Promise.allSettled([
      commitNext(store, 'race-2', 0, undefined),
      commitNext(store, 'race-2', 0, undefined),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });
});

describe('a checkpoint', () => {
  it("writes an instance's five episodes as one history row with Chunks 5, read back in order", async () => {
    const hub = newHub('Chunks');
    const store = await ownerStore(hub);
    let etag: string | undefined;
    for (let i = 0; i < 5; i++) etag = await commitNext(store, 'saga-5', i, etag);
    await store.checkpoint();

    const history = historyRowsOf(await tableRows(hub), 'saga-5');
    expect(history).toHaveLength(1);
    expect(history[0].rowKey).toBe(rowKeys.history('saga-5', executionOf('saga-5'), 0));
    expect(history[0].Chunks).toBe(5);
    expect(JSON.parse(String(history[0].Events))).toEqual(eventsOf('saga-5', 5));

    const record = (await store.getInstance('saga-5'))!.value;
    expect(record.historyChunks).toBe(5);
    expect(await store.getHistory(record)).toEqual(eventsOf('saga-5', 5));
    const fresh = openStore(hub, 'reader');
    await fresh.init();
    expect(await fresh.getHistory((await fresh.getInstance('saga-5'))!.value)).toEqual(eventsOf('saga-5', 5));

    // A later episode gets a row of its own after the merged one, and the history reads on.
    await commitNext(store, 'saga-5', 5, etag);
    expect(await store.getHistory((await store.getInstance('saga-5'))!.value)).toEqual(eventsOf('saga-5', 6));
    await store.checkpoint();
    expect(historyRowsOf(await tableRows(hub), 'saga-5').map((r) => [r.rowKey, r.Chunks ?? 1])).toEqual([
      [rowKeys.history('saga-5', executionOf('saga-5'), 0), 5],
      [rowKeys.history('saga-5', executionOf('saga-5'), 5), 1],
    ]);
    const reopened = openStore(hub, 'reader');
    await reopened.init();
    expect(await reopened.getHistory((await reopened.getInstance('saga-5'))!.value)).toEqual(eventsOf('saga-5', 6));
  });
});

describe.skipIf(!built)('a host killed with its commits in the log', () => {
  it('leaves them to the next owner, whose init applies the log to the table and deletes it', async () => {
    const hub = newHub('Crash');
    const { child, segment } = await startChild(hub, 'crash');
    expect(segment).toBe(2);
    const s = crashScenario;
    // Before the kill: the table has only what the child checkpointed.
    const before = await tableRows(hub);
    expect(before.has(rowKeys.message(s.checkpointedIds[0], s.consumedMessage))).toBe(true);
    expect(before.has(rowKeys.instance(s.loggedIds[0]))).toBe(false);
    expect(before.get(rowKeys.instance(s.checkpointedIds[0]))?.HistoryChunks).toBe(1);
    expect(await segmentsOf(hub)).toEqual([segmentName(2)]);
    await killChild(child);

    const store = await ownerStore(hub);
    // Only the new owner's fresh segment is left.
    expect(await segmentsOf(hub)).toEqual([segmentName(3)]);
    const rows = await tableRows(hub);
    for (const id of [...s.checkpointedIds, ...s.loggedIds]) {
      expect(rows.get(rowKeys.instance(id)), id).toMatchObject({ InstanceId: id, HistoryChunks: 2 });
      const events = historyRowsOf(rows, id).flatMap((r) => JSON.parse(String(r.Events)) as HistoryEvent[]);
      expect(events, id).toEqual(eventsOf(id, 2));
    }
    expect(rows.has(rowKeys.message(s.checkpointedIds[0], s.consumedMessage))).toBe(false);
    expect(rows.get(rowKeys.message(s.checkpointedIds[1], s.waitingMessage))).toMatchObject({
      Kind: 'M',
      MessageId: s.waitingMessage,
      InstanceId: s.checkpointedIds[1],
    });
    expect(rows.size).toBe(s.checkpointedIds.length * 3 + s.loggedIds.length * 2 + 1);

    // The store reads it all back, and the instances go on from the ETags it hands out.
    for (const id of [...s.checkpointedIds, ...s.loggedIds]) {
      const read = (await store.getInstance(id))!;
      expect(read.value).toEqual(recordOf(id, 2));
      expect(await store.getHistory(read.value)).toEqual(eventsOf(id, 2));
    }
    expect(await store.getMessages(s.checkpointedIds[0])).toEqual([]);
    expect(await store.getMessages(s.checkpointedIds[1])).toEqual([
      { id: s.waitingMessage, instanceId: s.checkpointedIds[1], event: messageEvent('late') },
    ]);
    const read = (await store.getInstance(s.loggedIds[0]))!;
    await commitNext(store, s.loggedIds[0], 2, read.etag);
    expect(await store.getHistory((await store.getInstance(s.loggedIds[0]))!.value)).toEqual(
      eventsOf(s.loggedIds[0], 3),
    );
  });

  it('skips a line cut short at the end of a segment and applies the whole lines before it', async () => {
    const hub = newHub('TornTail');
    const { child, segment } = await startChild(hub, 'torn');
    await killChild(child);
    // An append that failed half-way: the start of a commit line, never acknowledged.
    const torn = commitLine([
      {
        partitionKey: shardOf('torn'),
        rowKey: rowKeys.instance('torn'),
        properties: { Kind: 'I', InstanceId: 'torn', CreatedTime: new Date() },
      },
    ]);
    const part = Buffer.from('\n' + torn.slice(0, Math.floor(torn.length / 2)), 'utf8');
    await logContainer(hub).getAppendBlobClient(segmentName(segment)).appendBlock(part, part.length);

    const store = await ownerStore(hub);
    expect(await segmentsOf(hub)).toEqual([segmentName(segment + 1)]);
    const rows = await tableRows(hub);
    expect(rows.has(rowKeys.instance('torn'))).toBe(false);
    for (const id of tornScenario.ids) {
      expect(rows.get(rowKeys.instance(id)), id).toMatchObject({ InstanceId: id, HistoryChunks: 1 });
      expect(await store.getHistory((await store.getInstance(id))!.value)).toEqual(eventsOf(id, 1));
    }
    expect(await store.getInstance('torn')).toBeUndefined();
  });

  it('reads a whole line that follows a line cut short', async () => {
    const hub = newHub('TornMiddle');
    const { child, segment } = await startChild(hub, 'torn');
    await killChild(child);
    const blob = logContainer(hub).getAppendBlobClient(segmentName(segment));
    const line = (id: string): string =>
      commitLine([
        {
          partitionKey: shardOf(id),
          rowKey: rowKeys.instance(id),
          properties: { Kind: 'I', InstanceId: id, Name: 'saga', ExecutionId: 'x', RuntimeStatus: 'Pending' },
        },
      ]);
    const cut = Buffer.from('\n' + line('torn').slice(0, 20), 'utf8');
    await blob.appendBlock(cut, cut.length);
    const after = Buffer.from('\n' + line('after-cut'), 'utf8');
    await blob.appendBlock(after, after.length);

    await ownerStore(hub);
    const rows = await tableRows(hub);
    expect(rows.has(rowKeys.instance('torn'))).toBe(false);
    expect(rows.get(rowKeys.instance('after-cut'))).toMatchObject({ InstanceId: 'after-cut' });
    for (const id of tornScenario.ids) expect(rows.has(rowKeys.instance(id)), id).toBe(true);
  });
});

describe.skipIf(!built)('the hub lease', () => {
  it("refuses a second owner while a live host holds the hub, and lets a reader see that host's logged commits", async () => {
    const hub = newHub('Leased');
    const { child } = await startChild(hub, 'hold');

    const second = openStore(hub);
    const refused = await second.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(TaskHubInUseError);
    expect((refused as Error).message).toContain(hub);
    expect((refused as Error).message).toContain(String(child.pid));

    const reader = openStore(hub, 'reader');
    await reader.init();
    const { instanceId, episodes, message } = holdScenario;
    const read = await reader.getInstance(instanceId);
    expect(read?.value).toEqual(recordOf(instanceId, episodes));
    expect(await reader.getHistory(read!.value)).toEqual(eventsOf(instanceId, episodes));
    expect(await reader.getMessages(instanceId)).toEqual([{ id: message, instanceId, event: messageEvent('held') }]);
    // The reader reads the log: the table has none of it.
    expect(await tableRows(hub)).toEqual(new Map());
    // And it never writes.
    await expect(commitNext(reader, 'by-reader', 0, undefined)).rejects.toThrow(/reading only/);
    await reader.close();
    expect((await segmentsOf(hub)).length).toBe(1);
  });

  it('is given up by close(), which leaves no segment behind, so another owner can open the hub at once', async () => {
    const hub = newHub('Closed');
    const store = await ownerStore(hub);
    let etag: string | undefined;
    for (let i = 0; i < 3; i++) etag = await commitNext(store, 'closing', i, etag);
    await store.addMessage({ id: 'm-close', instanceId: 'closing', event: messageEvent('close') });
    await store.close();
    expect(await segmentsOf(hub)).toEqual([]);
    const rows = await tableRows(hub);
    expect(rows.get(rowKeys.instance('closing'))?.HistoryChunks).toBe(3);
    expect(rows.has(rowKeys.message('closing', 'm-close'))).toBe(true);

    const next = await ownerStore(hub);
    const read = (await next.getInstance('closing'))!;
    expect(read.value).toEqual(recordOf('closing', 3));
    expect(await next.getHistory(read.value)).toEqual(eventsOf('closing', 3));
    expect((await next.getMessages('closing')).map((m) => m.id)).toEqual(['m-close']);
    await next.close();
    expect(await segmentsOf(hub)).toEqual([]);
  });
});

describe('what a restart must not apply again', () => {
  it('a sealed segment whose deletion failed is deleted by the next checkpoint, so a purge after it stays purged', async () => {
    const hub = newHub('Sealed');
    const store = await ownerStore(hub);
    let etag: string | undefined;
    for (let i = 0; i < 3; i++) etag = await commitNext(store, 'sealed-1', i, etag);
    // A lease on the segment makes its deletion fail, as a transient error would.
    const segment = logContainer(hub).getAppendBlobClient(segmentName(1));
    const blocker = segment.getBlobLeaseClient();
    await blocker.acquireLease(-1);
    await expect(store.checkpoint()).rejects.toThrow();
    await blocker.releaseLease();

    expect(await store.purgeInstance('sealed-1')).toBe(true);
    expect(await segmentsOf(hub)).not.toContain(1);
    // A host killed now: the next owner applies what the log holds, and the purged instance stays gone.
    await store.close();
    const next = await ownerStore(hub);
    expect(await next.getInstance('sealed-1')).toBeUndefined();
    expect([...(await tableRows(hub)).keys()].filter((k) => k.startsWith('sealed-1|'))).toEqual([]);
  });

  it('a purge waits for a commit of the instance in flight, and the instance does not come back', async () => {
    const hub = newHub('PurgeRace');
    const store = await ownerStore(hub);
    const first = await commitNext(store, 'racing', 0, undefined);
    const committing = commitNext(store, 'racing', 1, first);
    const purged = store.purgeInstance('racing');
    await committing;
    expect(await purged).toBe(true);
    expect(await store.getInstance('racing')).toBeUndefined();
    await store.checkpoint();
    expect([...(await tableRows(hub)).keys()].filter((k) => k.startsWith('racing|'))).toEqual([]);
  });

  it('close() waits for an append in flight and checkpoints it, and refuses commits after it', async () => {
    const hub = newHub('CloseInFlight');
    const store = await ownerStore(hub);
    const first = await commitNext(store, 'late', 0, undefined);
    const committing = commitNext(store, 'late', 1, first);
    // The commit's append is queued once its rows are built (no I/O for a small episode).
    await new Promise((resolve) => setImmediate(resolve));
    const closing = store.close();
    const second = await committing;
    await closing;
    expect((await tableRows(hub)).get(rowKeys.instance('late'))?.HistoryChunks).toBe(2);
    expect(await segmentsOf(hub)).toEqual([]);
    await expect(commitNext(store, 'late', 2, second)).rejects.toThrow(/closed/);
  });
});

describe('inbox messages', () => {
  it('are stored once when the same message is added twice, before and after a checkpoint', async () => {
    const hub = newHub('MsgTwice');
    const store = await ownerStore(hub);
    await commitNext(store, 'inbox-1', 0, undefined);
    const message = { id: 'm-1', instanceId: 'inbox-1', event: messageEvent('one') };
    await store.addMessage(message);
    await store.addMessage(message);
    expect(await store.getMessages('inbox-1')).toEqual([message]);
    await store.checkpoint();
    await store.addMessage(message);
    expect(await store.getMessages('inbox-1')).toEqual([message]);
    // The resend after the checkpoint was known to be there: it did not even reach the log.
    const open = logContainer(hub).getAppendBlobClient(segmentName(2));
    expect((await open.getProperties()).blobCommittedBlockCount).toBe(0);
    const rows = [...(await tableRows(hub)).values()].filter((r) => r.Kind === 'M');
    expect(rows.map((r) => r.rowKey)).toEqual([rowKeys.message('inbox-1', 'm-1')]);
  });

  it('never reach the table when added and consumed before a checkpoint', async () => {
    const hub = newHub('MsgLogOnly');
    const store = await ownerStore(hub);
    const etag = await commitNext(store, 'inbox-2', 0, undefined);
    await store.addMessage({ id: 'm-2', instanceId: 'inbox-2', event: messageEvent('two') });
    expect((await store.getMessages('inbox-2')).map((m) => m.id)).toEqual(['m-2']);
    await commitNext(store, 'inbox-2', 1, etag, ['m-2']);
    expect(await store.getMessages('inbox-2')).toEqual([]);
    await store.checkpoint();
    const rows = await tableRows(hub);
    expect(rows.has(rowKeys.message('inbox-2', 'm-2'))).toBe(false);
    expect(rows.get(rowKeys.instance('inbox-2'))?.HistoryChunks).toBe(2);
    expect(await store.getMessages('inbox-2')).toEqual([]);
  });

  it('are deleted from the table by the next checkpoint once consumed after being checkpointed', async () => {
    const hub = newHub('MsgConsumed');
    const store = await ownerStore(hub);
    const etag = await commitNext(store, 'inbox-3', 0, undefined);
    await store.addMessage({ id: 'm-3', instanceId: 'inbox-3', event: messageEvent('three') });
    await store.checkpoint();
    expect((await tableRows(hub)).has(rowKeys.message('inbox-3', 'm-3'))).toBe(true);

    await commitNext(store, 'inbox-3', 1, etag, ['m-3']);
    // Consumed in the log: reads no longer see it, though the table still holds it.
    expect(await store.getMessages('inbox-3')).toEqual([]);
    expect((await tableRows(hub)).has(rowKeys.message('inbox-3', 'm-3'))).toBe(true);
    await store.checkpoint();
    expect((await tableRows(hub)).has(rowKeys.message('inbox-3', 'm-3'))).toBe(false);
    expect((await store.findUnfinished()).messages).toEqual([]);
  });
});

describe('queries', () => {
  it('see an instance committed a moment ago, since they checkpoint first', async () => {
    const hub = newHub('Query');
    const store = await ownerStore(hub);
    await commitNext(store, 'query-1', 0, undefined);
    expect((await tableRows(hub)).size).toBe(0);
    const { records } = await store.queryInstances({ instanceIdPrefix: 'query-' });
    expect(records).toEqual([recordOf('query-1', 1)]);
    expect((await tableRows(hub)).has(rowKeys.instance('query-1'))).toBe(true);

    const unfinished = await store.findUnfinished();
    expect(unfinished.records.map((r) => r.value.instanceId)).toEqual(['query-1']);
  });
});
