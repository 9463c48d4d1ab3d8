/**
 * The messages orchestrations and entities exchange, in the extension's wire shapes (EXT
 * `EntityScheduler/RequestMessage.cs`, `ReleaseMessage.cs`, `ResponseMessage.cs`; DTFx
 * `Entities/EventFormat/*`). Every one travels as an EventRaised: requests (operations and lock
 * requests) named "op", lock releases named "release", answers named by the request id.
 */

export interface EntityIdWire {
  name: string;
  key: string;
}

/** An operation request, or a lock request when `lockset` is present (then `op` is absent). */
export interface RequestMessage {
  op?: string;
  id: string;
  signal?: boolean;
  input?: string;
  parent?: string;
  parentExecution?: string;
  /** The entities a lock request takes, sorted by scheduler id, without repeats. */
  lockset?: EntityIdWire[];
  /** Which entity of the lock set this request is at: each one forwards it to the next. */
  pos?: number;
}

/** Ends a critical section on one entity: `id` is the lock request id of the section. */
export interface ReleaseMessage {
  parent: string;
  id: string;
}

export const REQUEST_EVENT = 'op';
export const RELEASE_EVENT = 'release';

/** The result the last entity of a lock set answers with (DTFx `ResponseMessage.LockAcquisitionCompletion`). */
export const LOCK_ACQUIRED = 'Lock Acquisition Completed';

export function schedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

/** The event name a message sent by an orchestration travels under, read back from its recorded JSON. */
export function entityEventName(messageJson: string): typeof REQUEST_EVENT | typeof RELEASE_EVENT {
  const message = JSON.parse(messageJson) as Partial<RequestMessage>;
  return message.op === undefined && message.lockset === undefined ? RELEASE_EVENT : REQUEST_EVENT;
}
