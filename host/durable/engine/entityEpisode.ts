import { derivedGuid } from './derivedGuid';
import type { FunctionRegistry } from '../../app/functionRegistry';
import type { FunctionInvoker } from '../../app/invokeFunction';
import type { InstanceRecord } from '../../store/taskHubStore';
import { historyEvents, type HistoryEvent } from '../history/historyEvent';
import { LOCK_ACQUIRED, RELEASE_EVENT, REQUEST_EVENT, schedulerId, type RequestMessage } from './entityMessages';
import { receive, takeWork, type Arrival, type SchedulerState } from './entityScheduler';

/**
 * Durable entities as the extension runs them for out-of-process apps: an entity is an instance
 * `@name@key` whose inbox holds operation requests (EventRaised "op" carrying a RequestMessage);
 * a batch of them goes to the entity function at once, one at a time in arrival order, and the
 * new state, the answers to callers and the signals it sends come back together. Lock requests
 * and releases (critical sections) decide which requests may run: see entityScheduler.ts.
 */

/** What the entity instance keeps: its state, its scheduler (queue and lock), and the request ids it has seen. */
export interface EntityRecordState extends SchedulerState {
  exists: boolean;
  /** The state as JSON text. */
  state: string | null;
  /** Recently received request ids: a request delivered twice (after a crash) runs once. */
  recent: string[];
}

const RECENT_LIMIT = 1000;

export function entityState(record: InstanceRecord): EntityRecordState {
  if (record.input === null) return { exists: false, state: null, recent: [], queue: [] };
  const parsed = JSON.parse(record.input) as Partial<EntityRecordState>;
  return {
    exists: parsed.exists === true,
    state: parsed.state ?? null,
    recent: parsed.recent ?? [],
    queue: parsed.queue ?? [],
    ...(parsed.lockedBy !== undefined ? { lockedBy: parsed.lockedBy, lockRequestId: parsed.lockRequestId } : {}),
  };
}

/**
 * The entity instance's custom status, as the extension writes it (EXT `TaskEntityShim.GetStatus`,
 * `EntityStatus`): Newtonsoft leaves out false, zero and null, so an idle unlocked entity shows
 * `{"entityExists":true}`.
 */
function entityStatus(state: EntityRecordState): string {
  return JSON.stringify({
    ...(state.exists ? { entityExists: true } : {}),
    ...(state.queue.length > 0 ? { queueSize: state.queue.length } : {}),
    ...(state.lockedBy !== undefined ? { lockedBy: state.lockedBy } : {}),
  });
}

export function entityIdOf(schedulerId: string): { name: string; key: string } {
  const at = schedulerId.indexOf('@', 1);
  return { name: schedulerId.slice(1, at), key: schedulerId.slice(at + 1) };
}

export interface OutgoingMessage {
  instanceId: string;
  messageId: string;
  event: HistoryEvent;
}

export interface EntityEpisodeResult {
  record: InstanceRecord;
  consumed: number[];
  /** Answers to calling orchestrations, signals to other entities and forwarded lock requests, sent after the commit. */
  outgoing: OutgoingMessage[];
}

interface OperationResultWire {
  isError: boolean;
  result?: string;
}

interface EntityAnswer {
  entityExists: boolean;
  entityState?: string;
  results: OperationResultWire[];
  signals: { target: { name: string; key: string }; name: string; input?: string }[];
}

/** A request message for an operation or a lock, as the orchestration or client sends it. */
export function operationRequest(request: RequestMessage, at: Date): HistoryEvent {
  return historyEvents.eventRaised(at, REQUEST_EVENT, JSON.stringify(request));
}

/**
 * The arrival a message event is: a release, a request, or nothing (unreadable, or a request seen
 * before, which is kept in `repeats`).
 */
function arrivalOf(message: HistoryEvent, seen: Set<string>, repeats: RequestMessage[]): Arrival | undefined {
  const body = JSON.parse(message.Input ?? 'null') as RequestMessage | null;
  if (!body) return undefined;
  if (message.Name === RELEASE_EVENT) return { release: { parent: body.parent ?? '', id: body.id } };
  if (seen.has(body.id)) {
    repeats.push(body);
    return undefined;
  }
  seen.add(body.id);
  return { request: body };
}

/**
 * A lock request this entity granted already and still holds for it, sent again: after a crash
 * the orchestration re-sends a lock request nobody answered, and the grant (the forward to the
 * next entity, or the answer) may be what the crash lost. Granting it again is harmless: the next
 * entity and the orchestration ignore what they have.
 */
function grantedBefore(repeat: RequestMessage, state: SchedulerState): boolean {
  return repeat.lockset !== undefined && state.lockedBy === repeat.parent && state.lockRequestId === repeat.id;
}

/**
 * Grants a lock request (DTFx `ProcessLockRequest`): the entity is now locked, and the request
 * moves on to the next entity of the lock set, or, at the last one, the orchestration is told.
 */
function lockGranted(request: RequestMessage, now: Date): OutgoingMessage {
  const lockset = request.lockset ?? [];
  const pos = (request.pos ?? 0) + 1;
  if (pos < lockset.length) {
    return {
      instanceId: schedulerId(lockset[pos].name, lockset[pos].key),
      messageId: `${request.id}:lock:${pos}`,
      event: operationRequest({ ...request, pos }, now),
    };
  }
  return {
    instanceId: request.parent ?? '',
    messageId: `resp-${request.id}`,
    event: historyEvents.eventRaised(now, request.id, JSON.stringify({ result: LOCK_ACQUIRED })),
  };
}

export class EntityEpisodes {
  constructor(
    private readonly registry: FunctionRegistry,
    private readonly invoker: FunctionInvoker,
  ) {}

  async run(record: InstanceRecord, messages: HistoryEvent[], now: Date): Promise<EntityEpisodeResult> {
    const current = entityState(record);
    const seen = new Set(current.recent);
    const repeats: RequestMessage[] = [];
    const arrivals: Arrival[] = [];
    const consumed = messages.map((message, index) => {
      const arrival = arrivalOf(message, seen, repeats);
      if (arrival) arrivals.push(arrival);
      return index;
    });
    const work = takeWork(receive(current, arrivals));
    const batch = work.operations;
    const outgoing: OutgoingMessage[] = [];
    let next: EntityRecordState = { ...current, ...work.state, recent: [...seen].slice(-RECENT_LIMIT) };
    if (batch.length > 0) {
      const answer = await this.invoke(record, current, batch);
      next = {
        ...next,
        exists: answer.entityExists,
        state: answer.entityExists ? (answer.entityState ?? null) : null,
      };
      batch.forEach((request, i) => {
        if (request.signal || !request.parent) return;
        const result = answer.results[i] ?? { isError: true, result: JSON.stringify('the entity gave no result') };
        const response: Record<string, unknown> = { result: result.result ?? null };
        if (result.isError) response.exceptionType = 'Error';
        outgoing.push({
          instanceId: request.parent,
          messageId: `resp-${request.id}`,
          event: historyEvents.eventRaised(now, request.id, JSON.stringify(response)),
        });
      });
      answer.signals.forEach((signal, i) => {
        const origin = batch[0]?.id ?? '';
        // Derived, so re-running the batch after a crash sends the same ids.
        const id = derivedGuid(record.instanceId, origin, i);
        const request: RequestMessage = {
          op: signal.name,
          id,
          signal: true,
          ...(signal.input ? { input: signal.input } : {}),
        };
        outgoing.push({
          instanceId: schedulerId(signal.target.name, signal.target.key),
          messageId: id,
          event: operationRequest(request, now),
        });
      });
    }
    // Granted after the operations before it in the queue, as DTFx does.
    if (work.lockRequest) outgoing.push(lockGranted(work.lockRequest, now));
    for (const repeat of repeats)
      if (grantedBefore(repeat, current) && grantedBefore(repeat, work.state)) outgoing.push(lockGranted(repeat, now));
    const updated: InstanceRecord = {
      ...record,
      runtimeStatus: 'Running',
      lastUpdatedTime: now,
      input: JSON.stringify(next),
      customStatus: entityStatus(next),
    };
    return { record: updated, consumed, outgoing };
  }

  private async invoke(
    record: InstanceRecord,
    state: EntityRecordState,
    batch: RequestMessage[],
  ): Promise<EntityAnswer> {
    const { name, key } = entityIdOf(record.instanceId);
    const fn = this.registry.find(name, 'entity');
    const failAll = (message: string): EntityAnswer => ({
      entityExists: state.exists,
      ...(state.state !== null ? { entityState: state.state } : {}),
      results: batch.map(() => ({ isError: true, result: JSON.stringify(message) })),
      signals: [],
    });
    if (!fn) return failAll(`The function '${name}' doesn't exist, is disabled, or is not an entity function.`);
    const binding = {
      self: { name, key },
      exists: state.exists,
      state: state.state,
      batch: batch.map((r) => ({ name: r.op ?? '', input: r.input ?? null, isSignal: r.signal === true })),
    };
    try {
      const invocation = await this.invoker.invoke({ fn, trigger: { string: JSON.stringify(binding) } });
      const value = invocation.returnValue as { json?: string } | undefined;
      return JSON.parse(value?.json ?? 'null') as EntityAnswer;
    } catch (error) {
      return failAll(error instanceof Error ? error.message : String(error));
    }
  }
}
