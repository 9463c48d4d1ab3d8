import { historyEvents, type HistoryEvent } from '../../host/durable/history/historyEvent';
import type { InstanceRecord } from '../../host/store/taskHubStore';
import { LogStructuredTaskHubStore } from '../../host/store/logStructuredTaskHubStore';

/**
 * A host that commits to a task hub's log and then is killed: run as its own process (from
 * dist/test/support/storeCrashChild.js) by test/integration/host/store/commitLog.test.ts.
 *
 *   node storeCrashChild.js <connection string> <hub> <scenario>
 *
 * It opens an owner store, commits what the scenario says, prints `committed <segment>` and then
 * waits to be killed. Its background checkpoints are held back, so what it committed after its
 * explicit checkpoints lives only in the log when it dies.
 */

export type ChildScenario = 'crash' | 'hold' | 'torn';

/** What the `crash` scenario commits: checkpointed first, then only logged. */
export const crashScenario = {
  /** Created (episode 0, checkpointed), then given episode 1 in the log only. */
  checkpointedIds: ['early-0', 'early-1', 'early-2', 'early-3', 'early-4'],
  /** Created in the log only (episodes 0 and 1). */
  loggedIds: Array.from({ length: 20 }, (_, i) => `late-${String(i)}`),
  /** Added to early-0 and checkpointed, then consumed by early-0's episode 1 in the log. */
  consumedMessage: 'msg-consumed',
  /** Added to early-1 in the log only, never consumed. */
  waitingMessage: 'msg-waiting',
};

/** What the `hold` scenario commits, all in the log. */
export const holdScenario = { instanceId: 'held', episodes: 2, message: 'msg-held' };

/** What the `torn` scenario commits, all in the log (one episode each). */
export const tornScenario = { ids: Array.from({ length: 6 }, (_, i) => `whole-${String(i)}`) };

export const AT = new Date('2024-01-02T03:04:05.678Z');

export function executionOf(instanceId: string): string {
  return `x${Buffer.from(instanceId).toString('hex')}`;
}

/** The record after `episodes` episodes that each added events. */
export function recordOf(instanceId: string, episodes: number): InstanceRecord {
  return {
    instanceId,
    name: 'saga',
    version: '1.0',
    executionId: executionOf(instanceId),
    runtimeStatus: 'Running',
    createdTime: AT,
    lastUpdatedTime: new Date(AT.getTime() + episodes * 1000),
    completedTime: null,
    input: JSON.stringify({ id: instanceId }),
    output: null,
    customStatus: null,
    parent: null,
    generation: 0,
    historyChunks: episodes,
  };
}

/** The events of episode `index` of an instance: distinct, so their order can be checked. */
export function episodeEvents(instanceId: string, index: number): HistoryEvent[] {
  const at = new Date(AT.getTime() + index * 1000);
  return [
    historyEvents.orchestratorStarted(at),
    historyEvents.taskScheduled(at, index, `step-${String(index)}`, JSON.stringify({ instanceId, index })),
    historyEvents.orchestratorCompleted(at),
  ];
}

export function messageEvent(name: string): HistoryEvent {
  return historyEvents.eventRaised(AT, name, JSON.stringify({ name }));
}

/** Commits episode `index` of an instance (creating it at index 0); returns the new ETag. */
export function commitNext(
  store: LogStructuredTaskHubStore,
  instanceId: string,
  index: number,
  etag: string | undefined,
  consumedMessageIds: string[] = [],
): Promise<string> {
  return store.commitEpisode({
    record: recordOf(instanceId, index + 1),
    etag,
    newHistory: episodeEvents(instanceId, index),
    historyRow: { executionId: executionOf(instanceId), index },
    consumedMessageIds,
  });
}

async function main(connectionString: string, hub: string, scenario: ChildScenario): Promise<void> {
  const store = new LogStructuredTaskHubStore(connectionString, hub);
  await store.init();
  const checkpointNow = store.checkpoint.bind(store);
  store.checkpoint = () => Promise.resolve();
  let segment = 1;
  if (scenario === 'crash') {
    const s = crashScenario;
    const etags = new Map<string, string>();
    for (const id of s.checkpointedIds) etags.set(id, await commitNext(store, id, 0, undefined));
    await store.addMessage({ id: s.consumedMessage, instanceId: s.checkpointedIds[0], event: messageEvent('early') });
    await checkpointNow();
    segment = 2;
    for (const id of s.checkpointedIds) {
      const consumed = id === s.checkpointedIds[0] ? [s.consumedMessage] : [];
      await commitNext(store, id, 1, etags.get(id), consumed);
    }
    for (const id of s.loggedIds) await commitNext(store, id, 1, await commitNext(store, id, 0, undefined));
    await store.addMessage({ id: s.waitingMessage, instanceId: s.checkpointedIds[1], event: messageEvent('late') });
  } else if (scenario === 'hold') {
    const { instanceId, episodes, message } = holdScenario;
    let etag: string | undefined;
    for (let i = 0; i < episodes; i++) etag = await commitNext(store, instanceId, i, etag);
    await store.addMessage({ id: message, instanceId, event: messageEvent('held') });
  } else {
    for (const id of tornScenario.ids) await commitNext(store, id, 0, undefined);
  }
  process.stdout.write(`committed ${String(segment)}\n`);
  // Wait to be killed.
  setInterval(() => undefined, 60_000);
}

if (process.argv[1]?.endsWith('storeCrashChild.js')) {
  const [connectionString, hub, scenario] = process.argv.slice(2);
  main(connectionString, hub, scenario as ChildScenario).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
