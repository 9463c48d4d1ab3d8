import type { InstanceRecord } from '../../store/taskHubStore';
import { EventType, OrchestrationStatus, type HistoryEvent } from '../history/historyEvent';

/** Stored strings are JSON text; text that is not JSON is shown as a JSON string (failure messages, reasons). */
export function parseStored(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The extension formats status times without fractions: yyyy-MM-ddTHH:mm:ssZ. */
export function statusTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface StatusOptions {
  showInput: boolean;
  showHistory: boolean;
  showHistoryOutput: boolean;
}

export interface StatusPayload {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
}

export function statusPayload(record: InstanceRecord, options: StatusOptions, history?: HistoryEvent[]): StatusPayload {
  const payload: StatusPayload = {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.runtimeStatus,
    input: options.showInput ? parseStored(record.input) : null,
    customStatus: parseStored(record.customStatus),
    output: parseStored(record.output),
    createdTime: statusTime(record.createdTime),
    lastUpdatedTime: statusTime(record.lastUpdatedTime),
  };
  if (options.showHistory && history && record.runtimeStatus !== 'Pending')
    payload.historyEvents = historyForStatus(history, options);
  return payload;
}

/** What a status text depends on: a record changed in place must not be answered from its old text. */
function fieldsOf(record: InstanceRecord): readonly unknown[] {
  return [
    record.runtimeStatus,
    record.name,
    record.input,
    record.output,
    record.customStatus,
    record.createdTime.getTime(),
    record.lastUpdatedTime.getTime(),
  ];
}

const statusTexts = new WeakMap<
  InstanceRecord,
  { fields: readonly unknown[]; withInput?: string; withoutInput?: string }
>();

/**
 * The status of `record` as JSON text, without history. Clients poll a running instance many
 * times between two of its commits, and the engine hands out the same record object until the
 * next one: its text is made once, not parsed and serialized again for every poll.
 */
export function statusText(record: InstanceRecord, showInput: boolean): string {
  const fields = fieldsOf(record);
  let cached = statusTexts.get(record);
  if (cached === undefined || cached.fields.some((value, i) => value !== fields[i])) {
    cached = { fields };
    statusTexts.set(record, cached);
  }
  const options = { showInput, showHistory: false, showHistoryOutput: false };
  if (showInput) return (cached.withInput ??= JSON.stringify(statusPayload(record, options)));
  return (cached.withoutInput ??= JSON.stringify(statusPayload(record, options)));
}

const SCHEDULING = new Set([EventType.TaskScheduled, EventType.SubOrchestrationInstanceCreated]);
const ANSWERS = new Set([
  EventType.TaskCompleted,
  EventType.TaskFailed,
  EventType.SubOrchestrationInstanceCompleted,
  EventType.SubOrchestrationInstanceFailed,
]);

/** The extension's `historyEvents` view (DurableClient.GetDurableOrchestrationStatusAsync), see the spec §8. */
export function historyForStatus(
  history: HistoryEvent[],
  options: Pick<StatusOptions, 'showInput' | 'showHistoryOutput'>,
): Record<string, unknown>[] {
  const scheduledById = new Map<number, HistoryEvent>();
  const answered = new Set<number>();
  for (const e of history) {
    if (SCHEDULING.has(e.EventType)) scheduledById.set(e.EventId, e);
    if (ANSWERS.has(e.EventType) && e.TaskScheduledId !== undefined) answered.add(e.TaskScheduledId);
  }
  const out: Record<string, unknown>[] = [];
  for (const e of history) {
    if (e.EventType === EventType.OrchestratorStarted || e.EventType === EventType.OrchestratorCompleted) continue;
    if (SCHEDULING.has(e.EventType) && answered.has(e.EventId)) continue;
    const { EventType: type, EventId: _id, IsPlayed: _played, ...rest } = e;
    const view: Record<string, unknown> = { EventType: EventType[type], ...rest };
    switch (type) {
      case EventType.ExecutionStarted:
        view.FunctionName = view.Name;
        delete view.Name;
        delete view.OrchestrationInstance;
        delete view.ParentInstance;
        delete view.Version;
        delete view.Tags;
        view.Input = parseStored(e.Input);
        break;
      case EventType.TaskScheduled:
        // The extension does not keep activity inputs in history (storeInputsInOrchestrationHistory is off).
        view.Input = null;
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const scheduled = scheduledById.get(e.TaskScheduledId ?? -1);
        view.FunctionName = scheduled?.Name;
        view.ScheduledTime = scheduled?.Timestamp;
        view.Input =
          type === EventType.SubOrchestrationInstanceCompleted || type === EventType.SubOrchestrationInstanceFailed
            ? parseStored(scheduled?.Input)
            : null;
        delete view.TaskScheduledId;
        if (options.showHistoryOutput && 'Result' in view) view.Result = parseStored(e.Result);
        else delete view.Result;
        break;
      }
      case EventType.ExecutionCompleted:
        view.OrchestrationStatus = OrchestrationStatus[e.OrchestrationStatus ?? 0];
        if (options.showHistoryOutput) view.Result = parseStored(e.Result);
        else delete view.Result;
        break;
      case EventType.TimerFired:
        delete view.TimerId;
        break;
      case EventType.EventRaised:
        view.Input = parseStored(e.Input);
        break;
      default:
        break;
    }
    if (!options.showInput) delete view.Input;
    out.push(view);
  }
  return out;
}
