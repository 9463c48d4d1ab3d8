import { describe, expect, it } from 'vitest';
import { CoreRegistrations } from '../../../../host/app/coreModule';
import { FunctionRegistry } from '../../../../host/app/functionRegistry';
import { InProcessApp } from '../../../../host/app/inProcessApp';
import { FunctionInvoker } from '../../../../host/app/invokeFunction';
import {
  EntityEpisodes,
  operationRequest,
  type EntityRecordState,
} from '../../../../host/durable/engine/entityEpisode';
import type { RequestMessage } from '../../../../host/durable/engine/entityMessages';
import { silentLogger } from '../../../../host/logging/hostLogger';
import type { InstanceRecord } from '../../../../host/store/taskHubStore';

// Lock requests move from entity to entity and end in an answer to the orchestration; a crash can
// lose any of those messages after the entity committed the grant. The orchestration re-sends a
// lock request nobody answered, so an entity that still holds the lock for it grants it again.

const now = new Date('2026-01-01T00:00:00Z');
// No operation runs in these batches: an app without functions is enough.
const noApp = new CoreRegistrations();
const episodes = new EntityEpisodes(
  new FunctionRegistry(noApp),
  new FunctionInvoker(new InProcessApp(noApp), silentLogger),
);

function entity(key: string, state: Partial<EntityRecordState>): InstanceRecord {
  const stored: EntityRecordState = { exists: true, state: '1', recent: [], queue: [], ...state };
  return {
    instanceId: `@account@${key}`,
    name: 'account',
    version: '',
    executionId: 'e',
    runtimeStatus: 'Running',
    createdTime: now,
    lastUpdatedTime: now,
    completedTime: null,
    input: JSON.stringify(stored),
    output: null,
    customStatus: null,
    parent: null,
    generation: 0,
    historyChunks: 0,
  };
}

const lockRequest = (pos: number): RequestMessage => ({
  id: 'L',
  parent: 'orch',
  parentExecution: 'x',
  lockset: [
    { name: 'account', key: 'a' },
    { name: 'account', key: 'b' },
  ],
  pos,
});

describe('an entity receiving a lock request again', () => {
  it('forwards it again along the lock set when it still holds the lock for it', async () => {
    const record = entity('a', { recent: ['L'], lockedBy: 'orch', lockRequestId: 'L' });
    const result = await episodes.run(record, [operationRequest(lockRequest(0), now)], now);
    expect(
      result.outgoing.map((m) => [m.instanceId, m.messageId, JSON.parse(m.event.Input ?? 'null') as unknown]),
    ).toEqual([['@account@b', 'L:lock:1', lockRequest(1)]]);
  });

  it('answers the orchestration again when it is the last entity of the set', async () => {
    const record = entity('b', { recent: ['L'], lockedBy: 'orch', lockRequestId: 'L' });
    const result = await episodes.run(record, [operationRequest(lockRequest(1), now)], now);
    expect(result.outgoing.map((m) => [m.instanceId, m.event.Name, m.event.Input])).toEqual([
      ['orch', 'L', JSON.stringify({ result: 'Lock Acquisition Completed' })],
    ]);
  });

  it('drops it while it still waits in the queue behind another lock', async () => {
    const record = entity('a', { recent: ['L'], queue: [lockRequest(0)], lockedBy: 'other', lockRequestId: 'M' });
    const result = await episodes.run(record, [operationRequest(lockRequest(0), now)], now);
    expect(result.outgoing).toEqual([]);
    expect(JSON.parse(result.record.customStatus ?? 'null')).toEqual({
      entityExists: true,
      queueSize: 1,
      lockedBy: 'other',
    });
  });
});
