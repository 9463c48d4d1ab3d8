/**
 * DTFx history events in the wire shape the durable-functions SDK replays: PascalCase keys,
 * integer EventType, payloads as JSON text inside strings.
 */
export enum EventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  SubOrchestrationInstanceCreated = 7,
  SubOrchestrationInstanceCompleted = 8,
  SubOrchestrationInstanceFailed = 9,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventSent = 14,
  EventRaised = 15,
  ContinueAsNew = 16,
  GenericEvent = 17,
  HistoryState = 18,
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

/** OrchestrationStatus as DTFx numbers it (also the order of the HTTP API's runtimeStatus names). */
export enum OrchestrationStatus {
  Running = 0,
  Completed = 1,
  ContinuedAsNew = 2,
  Failed = 3,
  Canceled = 4,
  Terminated = 5,
  Pending = 6,
  Suspended = 7,
}

export type RuntimeStatus = keyof typeof OrchestrationStatus;

export interface ParentInstance {
  Name: string;
  Version: string;
  TaskScheduleId: number;
  OrchestrationInstance: { InstanceId: string; ExecutionId: string };
}

export interface HistoryEvent {
  EventType: EventType;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Version?: string;
  Input?: string | null;
  Result?: string | null;
  Reason?: string | null;
  Details?: string | null;
  FailureDetails?: unknown;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationStatus?: OrchestrationStatus;
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
  ParentInstance?: ParentInstance | null;
  Tags?: Record<string, string> | null;
  Generation?: number;
  ScheduledStartTime?: string | null;
  /** GenericEvent payload (a rewind's reason). */
  Data?: string | null;
}

/** .NET round-trip format with 7 fractional digits, as the extension serializes DateTime. */
export function dotNetTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

function event(type: EventType, at: Date, fields: Partial<HistoryEvent> = {}, eventId = -1): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: dotNetTime(at), ...fields };
}

export const historyEvents = {
  orchestratorStarted: (at: Date) => event(EventType.OrchestratorStarted, at),
  orchestratorCompleted: (at: Date) => event(EventType.OrchestratorCompleted, at),
  executionStarted: (
    at: Date,
    f: {
      instanceId: string;
      executionId: string;
      name: string;
      version: string;
      input: string | null;
      parent: ParentInstance | null;
      generation: number;
    },
  ) =>
    event(EventType.ExecutionStarted, at, {
      OrchestrationInstance: { InstanceId: f.instanceId, ExecutionId: f.executionId },
      ParentInstance: f.parent,
      Name: f.name,
      Version: f.version,
      Input: f.input,
      Tags: null,
      ScheduledStartTime: null,
      Generation: f.generation,
    }),
  executionCompleted: (at: Date, id: number, status: OrchestrationStatus, result: string | null) =>
    event(EventType.ExecutionCompleted, at, { OrchestrationStatus: status, Result: result, FailureDetails: null }, id),
  executionTerminated: (at: Date, reason: string | null) => event(EventType.ExecutionTerminated, at, { Input: reason }),
  executionSuspended: (at: Date, reason: string | null) => event(EventType.ExecutionSuspended, at, { Reason: reason }),
  executionResumed: (at: Date, reason: string | null) => event(EventType.ExecutionResumed, at, { Reason: reason }),
  continueAsNew: (at: Date, id: number, input: string | null) =>
    event(EventType.ContinueAsNew, at, { Result: input }, id),
  taskScheduled: (at: Date, id: number, name: string, input: string | null) =>
    event(EventType.TaskScheduled, at, { Name: name, Version: '', Input: input }, id),
  taskCompleted: (at: Date, scheduledId: number, result: string | null) =>
    event(EventType.TaskCompleted, at, { TaskScheduledId: scheduledId, Result: result }),
  taskFailed: (at: Date, scheduledId: number, reason: string, details: string) =>
    event(EventType.TaskFailed, at, {
      TaskScheduledId: scheduledId,
      Reason: reason,
      Details: details,
      FailureDetails: null,
    }),
  subOrchestrationCreated: (
    at: Date,
    id: number,
    name: string,
    instanceId: string,
    input: string | null,
    version: string,
  ) =>
    event(
      EventType.SubOrchestrationInstanceCreated,
      at,
      { Name: name, Version: version, InstanceId: instanceId, Input: input },
      id,
    ),
  subOrchestrationCompleted: (at: Date, scheduledId: number, result: string | null) =>
    event(EventType.SubOrchestrationInstanceCompleted, at, { TaskScheduledId: scheduledId, Result: result }),
  subOrchestrationFailed: (at: Date, scheduledId: number, reason: string, details: string) =>
    event(EventType.SubOrchestrationInstanceFailed, at, {
      TaskScheduledId: scheduledId,
      Reason: reason,
      Details: details,
      FailureDetails: null,
    }),
  timerCreated: (at: Date, id: number, fireAt: Date) =>
    event(EventType.TimerCreated, at, { FireAt: dotNetTime(fireAt) }, id),
  timerFired: (at: Date, timerId: number, fireAt: string) =>
    event(EventType.TimerFired, at, { TimerId: timerId, FireAt: fireAt }),
  eventRaised: (at: Date, name: string, input: string | null) =>
    event(EventType.EventRaised, at, { Name: name, Input: input }),
  genericEvent: (at: Date, data: string | null) => event(EventType.GenericEvent, at, { Data: data }),
  eventSent: (at: Date, id: number, targetInstanceId: string, name: string, input: string) =>
    event(EventType.EventSent, at, { InstanceId: targetInstanceId, Name: name, Input: input }, id),
};

/** Events that answer a scheduled task, keyed by the id they answer. */
export function completedTaskId(e: HistoryEvent): number | undefined {
  switch (e.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return e.TaskScheduledId;
    case EventType.TimerFired:
      return e.TimerId;
    default:
      return undefined;
  }
}

export function isSchedulingEvent(e: HistoryEvent): boolean {
  return (
    e.EventType === EventType.TaskScheduled ||
    e.EventType === EventType.TimerCreated ||
    e.EventType === EventType.SubOrchestrationInstanceCreated ||
    e.EventType === EventType.EventSent
  );
}
