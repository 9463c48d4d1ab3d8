import { LogStructuredTaskHubStore } from '../../store/logStructuredTaskHubStore';
import { recordedHistory, type RecordedHistory } from '../history/recordedHistory';
import { HistorySourceError } from '../historySourceError';
import type { StorageAccount } from './storageAccount';

/** The table this host's own task hub keeps everything in (see LogStructuredTaskHubStore). */
export function hostLayoutTable(hubName: string): string {
  return `${hubName}TaskHub`;
}

/** An instance's current execution from a task hub this host wrote, read through its own store. */
export async function readHostLayoutHistory(
  account: StorageAccount,
  hubName: string,
  instanceId: string,
): Promise<RecordedHistory | undefined> {
  // A reader: the host may be running, and its newest episodes may still be only in the commit log.
  const store = new LogStructuredTaskHubStore(account.connectionString, hubName, { role: 'reader' });
  await account.call(`reading the commit log of task hub ${hubName}`, () => store.init());
  const found = await account.call(`reading instance '${instanceId}'`, () => store.getInstance(instanceId));
  if (!found) return undefined;
  const events = await account.call(`reading the history of '${instanceId}'`, () => store.getHistory(found.value));
  if (events.length === 0) {
    throw new HistorySourceError(
      'instance-not-found',
      `Instance '${instanceId}' in task hub ${hubName} has no history yet (it is ${found.value.runtimeStatus}).`,
    );
  }
  return recordedHistory(events, `task hub ${hubName}, instance '${instanceId}'`);
}
