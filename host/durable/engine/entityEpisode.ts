import { derivedGuid } from './derivedGuid';
import type { FunctionRegistry } from '../../app/functionRegistry';
import type { FunctionInvoker } from '../../app/invokeFunction';
import type { InstanceRecord } from '../../store/taskHubStore';
import { historyEvents, type HistoryEvent } from '../history/historyEvent';

/**
 * Durable entities as the extension runs them for out-of-process apps: an entity is an instance
 * `@name@key` whose inbox holds operation requests (EventRaised "op" carrying a RequestMessage);
 * a batch of them goes to the entity function at once, one at a time in arrival order, and the
 * new state, the answers to callers and the signals it sends come back together.
 */

/** What the entity instance keeps: its state and the request ids it has already run. */
export interface EntityRecordState {
  exists: boolean;
  /** The state as JSON text. */
  state: string | null;
  /** Recently processed request ids: a request delivered twice (after a crash) runs once. */
  recent: string[];
}

const RECENT_LIMIT = 1000;

export function entityState(record: InstanceRecord): EntityRecordState {
  if (record.input === null) return { exists: false, state: null, recent: [] };
  const parsed = JSON.parse(record.input) as Partial<EntityRecordState>;
  return { exists: parsed.exists === true, state: parsed.state ?? null, recent: parsed.recent ?? [] };
}

export function entityIdOf(schedulerId: string): { name: string; key: string } {
  const at = schedulerId.indexOf('@', 1);
  return { name: schedulerId.slice(1, at), key: schedulerId.slice(at + 1) };
}

export function schedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

/** An operation request (the extension's RequestMessage, the fields this host uses). */
export interface RequestMessage {
  op: string;
  id: string;
  signal?: boolean;
  input?: string;
  parent?: string;
  parentExecution?: string;
}

export interface OutgoingMessage {
  instanceId: string;
  messageId: string;
  event: HistoryEvent;
}

export interface EntityEpisodeResult {
  record: InstanceRecord;
  consumed: number[];
  /** Answers to calling orchestrations and signals to other entities, sent after the commit. */
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

/** A request message for an operation, as the orchestration or client sends it. */
export function operationRequest(request: RequestMessage, at: Date): HistoryEvent {
  return historyEvents.eventRaised(at, 'op', JSON.stringify(request));
}

export class EntityEpisodes {
  constructor(
    private readonly registry: FunctionRegistry,
    private readonly invoker: FunctionInvoker,
  ) {}

  async run(record: InstanceRecord, messages: HistoryEvent[], now: Date): Promise<EntityEpisodeResult> {
    const current = entityState(record);
    const seen = new Set(current.recent);
    const batch: RequestMessage[] = [];
    const consumed: number[] = [];
    messages.forEach((message, index) => {
      consumed.push(index);
      const request = JSON.parse(message.Input ?? 'null') as RequestMessage | null;
      if (!request || seen.has(request.id)) return;
      seen.add(request.id);
      batch.push(request);
    });
    const outgoing: OutgoingMessage[] = [];
    let next = current;
    if (batch.length > 0) {
      const answer = await this.invoke(record, current, batch);
      next = {
        exists: answer.entityExists,
        state: answer.entityExists ? (answer.entityState ?? null) : null,
        recent: [...seen].slice(-RECENT_LIMIT),
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
    const updated: InstanceRecord = {
      ...record,
      runtimeStatus: 'Running',
      lastUpdatedTime: now,
      input: JSON.stringify(next),
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
      batch: batch.map((r) => ({ name: r.op, input: r.input ?? null, isSignal: r.signal === true })),
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
