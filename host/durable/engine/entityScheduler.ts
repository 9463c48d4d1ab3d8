import type { ReleaseMessage, RequestMessage } from './entityMessages';

/**
 * The order in which an entity works, with critical sections: DTFx `TaskEntityDispatcher`
 * (`DetermineWork`, `ProcessLockRequest`) over `SchedulerState` (`Queue`, `LockedBy`, `MayDequeue`,
 * `PutBack`). While an orchestration holds the lock, only its requests run; everyone else's wait
 * in the queue, in arrival order, until it releases.
 */
export interface SchedulerState {
  /** Requests received but not run yet, in the order they will run. */
  queue: RequestMessage[];
  /** The orchestration holding the lock. */
  lockedBy?: string;
  /** The lock request id of its critical section: a release must name it. */
  lockRequestId?: string;
}

export type Arrival = { request: RequestMessage } | { release: ReleaseMessage };

/**
 * Takes arrivals in order. A request from the lock holder goes ahead of the queue (those of others
 * wait behind the lock); a release from the holder unlocks. DTFx matches a release by the parent
 * alone; the host also matches the lock request id, so a release sent again after a crash cannot
 * end a later critical section of the same orchestration.
 */
export function receive(state: SchedulerState, arrivals: Arrival[]): SchedulerState {
  let { lockedBy, lockRequestId } = state;
  const holders: RequestMessage[] = [];
  const others: RequestMessage[] = [];
  for (const arrival of arrivals) {
    if ('release' in arrival) {
      if (lockedBy !== undefined && arrival.release.parent === lockedBy && arrival.release.id === lockRequestId) {
        lockedBy = undefined;
        lockRequestId = undefined;
      }
    } else if (lockedBy !== undefined && arrival.request.parent === lockedBy) {
      holders.push(arrival.request);
    } else {
      others.push(arrival.request);
    }
  }
  return { queue: [...holders, ...state.queue, ...others], lockedBy, lockRequestId };
}

export interface Work {
  /** Operations to run now, in order. */
  operations: RequestMessage[];
  /** A lock request to grant after them (DTFx stops a batch at a lock request). */
  lockRequest?: RequestMessage;
  /** The state once the work is taken from the queue and the lock (if any) granted. */
  state: SchedulerState;
}

/** What may run now: requests from the front of the queue while the entity is unlocked or they are the holder's. */
export function takeWork(state: SchedulerState): Work {
  const operations: RequestMessage[] = [];
  let { lockedBy, lockRequestId } = state;
  let lockRequest: RequestMessage | undefined;
  let taken = 0;
  for (const next of state.queue) {
    if (lockedBy !== undefined && next.parent !== lockedBy) break;
    taken++;
    if (next.lockset !== undefined) {
      lockRequest = next;
      lockedBy = next.parent;
      lockRequestId = next.id;
      break;
    }
    operations.push(next);
  }
  return {
    operations,
    ...(lockRequest ? { lockRequest } : {}),
    state: { queue: state.queue.slice(taken), lockedBy, lockRequestId },
  };
}
