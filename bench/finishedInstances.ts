import { randomUUID } from 'node:crypto';
import { historyEvents, OrchestrationStatus } from '../host/durable/history/historyEvent';
import type { TaskHubStore } from '../host/store/taskHubStore';

/**
 * Fills a task hub with finished orchestrations, each an instance row and one history row, the
 * way the host commits them: what a hub looks like after weeks of orders, for measuring what a
 * restart has to read. Half are sub-orchestrations of a finished parent, as a v1/v2 saga leaves.
 */
export async function addFinishedInstances(store: TaskHubStore, count: number, concurrency = 16): Promise<void> {
  const at = new Date('2026-01-01T00:00:00Z');
  let next = 0;
  const one = async (i: number): Promise<void> => {
    const parentId = `finished-${Math.floor(i / 2)}`;
    const instanceId = i % 2 === 0 ? parentId : `${parentId}:A`;
    const executionId = randomUUID().replace(/-/g, '');
    const parent =
      i % 2 === 0
        ? null
        : {
            Name: 'finishedParent',
            Version: '',
            OrchestrationInstance: { InstanceId: parentId, ExecutionId: 'unused' },
            TaskScheduleId: 0,
          };
    const record = {
      instanceId,
      name: i % 2 === 0 ? 'finishedParent' : 'finishedChild',
      version: '',
      executionId,
      runtimeStatus: 'Completed' as const,
      createdTime: at,
      lastUpdatedTime: at,
      completedTime: at,
      input: '{"order":"bench"}',
      output: '{"status":200}',
      customStatus: null,
      parent,
      generation: 0,
      historyChunks: 1,
    };
    await store.commitEpisode({
      record,
      etag: undefined,
      newHistory: [
        historyEvents.orchestratorStarted(at),
        historyEvents.executionStarted(at, { ...record, input: record.input }),
        historyEvents.executionCompleted(at, 0, OrchestrationStatus.Completed, record.output),
        historyEvents.orchestratorCompleted(at),
      ],
      historyRow: { executionId, index: 0 },
      consumedMessageIds: [],
    });
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
}
