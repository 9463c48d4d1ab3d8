import { describe, expect, it } from 'vitest';
import type { RequestMessage } from '../../../../host/durable/engine/entityMessages';
import { receive, takeWork, type SchedulerState } from '../../../../host/durable/engine/entityScheduler';

// The order an entity works in with critical sections, as DTFx's TaskEntityDispatcher decides it.

const op = (id: string, parent?: string): RequestMessage => ({ op: 'add', id, ...(parent ? { parent } : {}) });
const lock = (id: string, parent: string): RequestMessage => ({
  id,
  parent,
  lockset: [{ name: 'account', key: 'a' }],
  pos: 0,
});
const ids = (requests: RequestMessage[]): string[] => requests.map((r) => r.id);
const empty: SchedulerState = { queue: [] };

describe('an entity scheduler', () => {
  it('runs operations in arrival order, stops at a lock request and grants it to its orchestration', () => {
    const work = takeWork(
      receive(empty, [{ request: op('1') }, { request: lock('L', 'orch') }, { request: op('2', 'other') }]),
    );
    expect(ids(work.operations)).toEqual(['1']);
    expect(work.lockRequest?.id).toBe('L');
    expect(work.state).toEqual({ queue: [op('2', 'other')], lockedBy: 'orch', lockRequestId: 'L' });
  });

  it('while locked, runs the holder’s requests ahead of the queue and keeps everyone else’s waiting', () => {
    const locked: SchedulerState = { queue: [op('waiting', 'other')], lockedBy: 'orch', lockRequestId: 'L' };
    const work = takeWork(receive(locked, [{ request: op('client') }, { request: op('mine', 'orch') }]));
    expect(ids(work.operations)).toEqual(['mine']);
    expect(ids(work.state.queue)).toEqual(['waiting', 'client']);
    expect(work.state.lockedBy).toBe('orch');
  });

  it('unlocks on the holder’s release of that critical section, then runs what waited', () => {
    const locked: SchedulerState = { queue: [op('waiting', 'other')], lockedBy: 'orch', lockRequestId: 'L' };
    const work = takeWork(receive(locked, [{ release: { parent: 'orch', id: 'L' } }]));
    expect(ids(work.operations)).toEqual(['waiting']);
    expect(work.state).toEqual({ queue: [], lockedBy: undefined, lockRequestId: undefined });
  });

  it('ignores a release from another orchestration, or for an earlier critical section', () => {
    const locked: SchedulerState = { queue: [op('waiting', 'other')], lockedBy: 'orch', lockRequestId: 'L2' };
    const work = takeWork(
      receive(locked, [{ release: { parent: 'other', id: 'L2' } }, { release: { parent: 'orch', id: 'L1' } }]),
    );
    expect(work.operations).toEqual([]);
    expect(work.state.lockedBy).toBe('orch');
  });
});
