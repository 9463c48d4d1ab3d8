import { EventType, OrchestrationStatus, type HistoryEvent } from '../../durable/history/historyEvent';
import { HistorySourceError } from '../historySourceError';

/**
 * One execution's history in the form the SDK replays (PascalCase, integer EventType, payloads as
 * JSON text), with what replaying it needs read off its ExecutionStarted event.
 */
export interface RecordedHistory {
  /** Where it came from (a file, or hub and instance), for messages. */
  source: string;
  events: HistoryEvent[];
  /** ExecutionStarted.Name: the orchestrator function to replay. */
  orchestrator: string;
  instanceId: string;
  executionId: string;
  /** ExecutionStarted.Input: the orchestration input as JSON text, or null. */
  input: string | null;
  parentInstanceId: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A numeric enum's value from its number or its name (table rows store enum names). */
function enumValue<T extends Record<string, string | number>>(
  enumeration: T,
  value: unknown,
): Extract<T[keyof T], number> | undefined {
  type Member = Extract<T[keyof T], number>;
  // The checks below make the number one of the enum's members.
  if (typeof value === 'number' && Number.isInteger(value) && typeof enumeration[value] === 'string')
    return value as Member;
  if (typeof value === 'string' && /^\d+$/.test(value)) return enumValue(enumeration, Number(value));
  if (typeof value === 'string' && typeof enumeration[value] === 'number') return enumeration[value] as Member;
  return undefined;
}

const INTEGER_MEMBERS = ['TaskScheduledId', 'TimerId', 'Generation'] as const;
const TEXT_MEMBERS = ['Name', 'Version', 'Input', 'Result', 'Reason', 'Details', 'InstanceId', 'FireAt'] as const;

/**
 * Checks one event and brings it to the wire shape: EventType and OrchestrationStatus as numbers
 * (names are accepted, as the Azure Storage provider stores them), EventId defaulting to -1.
 */
export function toHistoryEvent(raw: unknown, position: number): HistoryEvent {
  const where = `event ${position}`;
  if (!isRecord(raw)) throw new HistorySourceError('not-a-history', `${where} is not an object.`);
  if (raw.EventType === undefined && raw.eventType !== undefined) {
    throw new HistorySourceError(
      'not-a-history',
      `${where} has "eventType" but no "EventType": that is the status API's showHistory view, which lacks the sequence ids replay needs; export the DTFx events (PascalCase) instead.`,
    );
  }
  const eventType = enumValue(EventType, raw.EventType);
  if (eventType === undefined)
    throw new HistorySourceError(
      'not-a-history',
      `${where} has EventType ${JSON.stringify(raw.EventType)}, which is not a DTFx history event type.`,
    );
  const eventId = raw.EventId === undefined ? -1 : Number(raw.EventId);
  if (!Number.isInteger(eventId))
    throw new HistorySourceError(
      'not-a-history',
      `${where} has EventId ${JSON.stringify(raw.EventId)}, not an integer.`,
    );
  if (typeof raw.Timestamp !== 'string' || Number.isNaN(Date.parse(raw.Timestamp))) {
    throw new HistorySourceError('not-a-history', `${where} (${EventType[eventType]}) has no Timestamp date.`);
  }
  for (const member of INTEGER_MEMBERS) {
    if (raw[member] !== undefined && raw[member] !== null && !Number.isInteger(Number(raw[member]))) {
      throw new HistorySourceError(
        'not-a-history',
        `${where} (${EventType[eventType]}) has ${member} ${JSON.stringify(raw[member])}, not an integer.`,
      );
    }
  }
  for (const member of TEXT_MEMBERS) {
    if (raw[member] !== undefined && raw[member] !== null && typeof raw[member] !== 'string') {
      throw new HistorySourceError(
        'not-a-history',
        `${where} (${EventType[eventType]}) has a ${member} that is not text (payloads are JSON text inside a string).`,
      );
    }
  }
  const event: HistoryEvent = {
    ...raw,
    EventType: eventType,
    EventId: eventId,
    IsPlayed: raw.IsPlayed === true,
    Timestamp: raw.Timestamp,
  };
  for (const member of INTEGER_MEMBERS)
    if (raw[member] !== undefined && raw[member] !== null) event[member] = Number(raw[member]);
  if (raw.OrchestrationStatus !== undefined && raw.OrchestrationStatus !== null) {
    const status = enumValue(OrchestrationStatus, raw.OrchestrationStatus);
    if (status === undefined)
      throw new HistorySourceError(
        'not-a-history',
        `${where} has OrchestrationStatus ${JSON.stringify(raw.OrchestrationStatus)}, which DTFx does not know.`,
      );
    event.OrchestrationStatus = status;
  }
  return event;
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that the events are one execution of an orchestration: exactly one ExecutionStarted
 * naming the orchestrator, and an OrchestratorStarted (the SDK takes its clock from it).
 */
export function recordedHistory(rawEvents: readonly unknown[], source: string): RecordedHistory {
  if (rawEvents.length === 0) throw new HistorySourceError('not-a-history', `${source} holds no history events.`);
  const events = rawEvents.map((raw, position) => {
    try {
      return toHistoryEvent(raw, position);
    } catch (error) {
      if (error instanceof HistorySourceError)
        throw new HistorySourceError(error.problem, `${source}: ${error.message}`);
      throw error;
    }
  });
  const starts = events.filter((e) => e.EventType === EventType.ExecutionStarted);
  if (starts.length === 0)
    throw new HistorySourceError(
      'not-a-history',
      `${source} has no ExecutionStarted event, so it does not say which orchestrator ran.`,
    );
  if (starts.length > 1)
    throw new HistorySourceError(
      'not-a-history',
      `${source} holds ${starts.length} executions (ExecutionStarted events); replay one execution at a time.`,
    );
  const [start] = starts;
  if (typeof start.Name !== 'string' || start.Name.length === 0)
    throw new HistorySourceError(
      'not-a-history',
      `${source}: its ExecutionStarted event names no orchestrator (Name).`,
    );
  if (!events.some((e) => e.EventType === EventType.OrchestratorStarted)) {
    throw new HistorySourceError(
      'not-a-history',
      `${source} has no OrchestratorStarted event; the SDK cannot replay without one.`,
    );
  }
  const input = start.Input ?? null;
  if (input !== null && !isJsonText(input))
    throw new HistorySourceError('not-a-history', `${source}: the ExecutionStarted Input is not JSON text.`);
  const instance = isRecord(start.OrchestrationInstance) ? start.OrchestrationInstance : undefined;
  const parent =
    isRecord(start.ParentInstance) && isRecord(start.ParentInstance.OrchestrationInstance)
      ? start.ParentInstance.OrchestrationInstance
      : undefined;
  return {
    source,
    events,
    orchestrator: start.Name,
    instanceId:
      typeof instance?.InstanceId === 'string' && instance.InstanceId.length > 0 ? instance.InstanceId : 'replay-check',
    executionId: typeof instance?.ExecutionId === 'string' ? instance.ExecutionId : '',
    input,
    parentInstanceId: typeof parent?.InstanceId === 'string' ? parent.InstanceId : null,
  };
}
