import { InvocationContext } from '@azure/functions';
import { OrchestrationHandler } from 'durable-functions';

// Orchestration histories written like specifications, replayed through the SDK's own handler
// (the code the Node worker runs for a real orchestration). The builder hands out event ids in the
// order the extension assigns sequence numbers: one per scheduled activity or timer, in the order
// the orchestrator created them, and for a retried activity one for the retry timer after each
// failure (even the last one) and one for each new attempt.
//
// The SDK's history classes and testing utilities are not in its public typings; they are loaded
// here once, through small interfaces, so that nothing untyped leaks into the tests.

interface HistoryEventOptions {
  eventId: number;
  timestamp: Date;
  isPlayed: boolean;
  name?: string;
  input?: string;
  result?: string;
  taskScheduledId?: number;
  reason?: string;
  details?: string;
  fireAt?: Date;
  timerId?: number;
  instanceId?: string;
  version?: string;
}

/** A history event as the SDK reads it (PascalCase, like the extension's JSON). */
export interface SdkHistoryEvent {
  readonly EventType: number;
  readonly EventId: number;
  readonly Timestamp: Date;
}

type EventClass = new (options: HistoryEventOptions) => SdkHistoryEvent;

function historyClass(file: string): EventClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's history classes are internal modules, loaded by name
  const loaded = require(`durable-functions/lib/src/history/${file}`) as Record<string, EventClass | undefined>;
  const eventClass = loaded[file];
  if (eventClass === undefined) throw new Error(`durable-functions has no history class ${file}`);
  return eventClass;
}

const OrchestratorStartedEvent = historyClass('OrchestratorStartedEvent');
const OrchestratorCompletedEvent = historyClass('OrchestratorCompletedEvent');
const ExecutionStartedEvent = historyClass('ExecutionStartedEvent');
const TaskScheduledEvent = historyClass('TaskScheduledEvent');
const TaskCompletedEvent = historyClass('TaskCompletedEvent');
const TaskFailedEvent = historyClass('TaskFailedEvent');
const TimerCreatedEvent = historyClass('TimerCreatedEvent');
const TimerFiredEvent = historyClass('TimerFiredEvent');
const SubOrchestrationInstanceCreatedEvent = historyClass('SubOrchestrationInstanceCreatedEvent');
const SubOrchestrationInstanceCompletedEvent = historyClass('SubOrchestrationInstanceCompletedEvent');
const SubOrchestrationInstanceFailedEvent = historyClass('SubOrchestrationInstanceFailedEvent');

/** An action as the SDK hands it to the extension (actionType numbers from ActionType.js). */
export interface SdkAction {
  readonly actionType: number;
  readonly functionName?: string;
  readonly instanceId?: string;
  readonly input?: unknown;
  readonly retryOptions?: {
    readonly firstRetryIntervalInMilliseconds: number;
    readonly maxNumberOfAttempts: number;
    readonly backoffCoefficient?: number;
    readonly maxRetryIntervalInMilliseconds?: number;
  };
  readonly fireAt?: Date;
  readonly isCanceled?: boolean;
  readonly compoundActions?: readonly SdkAction[];
}

export interface OrchestratorState {
  readonly isDone: boolean;
  readonly actions: readonly (readonly SdkAction[])[];
  readonly output?: unknown;
  readonly customStatus?: unknown;
  readonly error?: string;
  readonly schemaVersion: number;
}

interface TestingUtils {
  createOrchestrator(
    fn: OrchestrationHandler,
  ): (binding: unknown, context: InvocationContext) => Promise<OrchestratorState>;
  DurableOrchestrationInput: new (
    instanceId: string,
    history: readonly SdkHistoryEvent[],
    input: unknown,
    longRunningTimerIntervalDuration: string,
    maximumShortTimerDuration: string,
    defaultHttpAsyncRequestSleepTimeMillseconds: number,
    schemaVersion: number,
  ) => { upperSchemaVersionNew?: number };
  DummyOrchestrationContext: new (
    functionName?: string,
    invocationId?: string,
    logHandler?: () => void,
  ) => InvocationContext;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal SDK module with no public export or typings
const testingUtils = require('durable-functions/lib/src/util/testingUtils') as TestingUtils;

const actionTypes: Readonly<Record<number, string>> = {
  0: 'CallActivity',
  1: 'CallActivityWithRetry',
  2: 'CallSubOrchestrator',
  3: 'CallSubOrchestratorWithRetry',
  5: 'CreateTimer',
  11: 'WhenAny',
  12: 'WhenAll',
};

export class HistoryBuilder {
  private readonly history: SdkHistoryEvent[] = [];
  private nextSequenceNumber = 0;
  private clock: Date;
  private readonly scheduled = new Map<number, { name: string; input?: unknown; child?: true } | { fireAt: Date }>();

  constructor(
    start: Date,
    readonly orchestratorName: string,
    readonly input: unknown,
    /** The orchestration version (ExecutionStarted.Version), as host.json's defaultVersion sets it. */
    readonly version = '',
  ) {
    this.clock = start;
    this.history.push(
      new OrchestratorStartedEvent({ eventId: -1, timestamp: start, isPlayed: false }),
      new ExecutionStartedEvent({
        eventId: -1,
        timestamp: start,
        isPlayed: false,
        name: orchestratorName,
        input: JSON.stringify(input),
        version,
      }),
    );
  }

  get events(): readonly SdkHistoryEvent[] {
    return this.history;
  }

  get now(): Date {
    return this.clock;
  }

  /** The orchestrator scheduled an activity in the episode that just ran. Returns its task id. */
  activityScheduled(name: string, input?: unknown): number {
    const id = this.nextSequenceNumber++;
    this.scheduled.set(id, { name, input });
    this.history.push(
      new TaskScheduledEvent({
        eventId: id,
        timestamp: this.clock,
        isPlayed: false,
        name,
        ...(input !== undefined ? { input: JSON.stringify(input) } : {}),
      }),
    );
    return id;
  }

  /** The orchestrator started a sub-orchestration. Returns its task id. */
  subOrchestrationScheduled(name: string, instanceId: string, input?: unknown): number {
    const id = this.nextSequenceNumber++;
    this.scheduled.set(id, { name, input, child: true });
    this.history.push(
      new SubOrchestrationInstanceCreatedEvent({
        eventId: id,
        timestamp: this.clock,
        isPlayed: false,
        name,
        instanceId,
        ...(input !== undefined ? { input: JSON.stringify(input) } : {}),
      }),
    );
    return id;
  }

  private isChild(taskId: number): boolean {
    const scheduled = this.scheduled.get(taskId);
    return scheduled !== undefined && 'child' in scheduled && scheduled.child === true;
  }

  /** The orchestrator (or the extension, for a retry) created a timer. Returns its id. */
  timerCreated(fireAt: Date): number {
    const id = this.nextSequenceNumber++;
    this.scheduled.set(id, { fireAt });
    this.history.push(new TimerCreatedEvent({ eventId: id, timestamp: this.clock, isPlayed: false, fireAt }));
    return id;
  }

  /** Ends the current episode and starts the next one `afterMs` later. */
  nextEpisode(afterMs = 1_000): this {
    this.history.push(new OrchestratorCompletedEvent({ eventId: -1, timestamp: this.clock, isPlayed: false }));
    this.clock = new Date(this.clock.getTime() + afterMs);
    this.history.push(new OrchestratorStartedEvent({ eventId: -1, timestamp: this.clock, isPlayed: false }));
    return this;
  }

  /** The task (an activity or a sub-orchestration) answered with this result. */
  activityCompleted(taskId: number, result: unknown): this {
    const completed = this.isChild(taskId) ? SubOrchestrationInstanceCompletedEvent : TaskCompletedEvent;
    this.history.push(
      new completed({
        eventId: -1,
        timestamp: this.clock,
        isPlayed: false,
        taskScheduledId: taskId,
        result: JSON.stringify(result ?? null),
      }),
    );
    return this;
  }

  activityFailed(taskId: number, message: string): this {
    const scheduled = this.scheduled.get(taskId);
    const name = scheduled !== undefined && 'name' in scheduled ? scheduled.name : 'activity';
    const child = this.isChild(taskId);
    const failed = child ? SubOrchestrationInstanceFailedEvent : TaskFailedEvent;
    this.history.push(
      new failed({
        eventId: -1,
        timestamp: this.clock,
        isPlayed: false,
        taskScheduledId: taskId,
        reason: child
          ? `Orchestrator function '${name}' failed: ${message}`
          : `Activity function '${name}' failed: ${message}`,
        details: `Error: ${message}\n    at remote stack frame (activities.js:1:1)`,
      }),
    );
    return this;
  }

  timerFired(timerId: number): this {
    const scheduled = this.scheduled.get(timerId);
    if (scheduled === undefined || !('fireAt' in scheduled)) throw new Error(`${timerId} is not a timer`);
    this.history.push(
      new TimerFiredEvent({ eventId: -1, timestamp: this.clock, isPlayed: false, timerId, fireAt: scheduled.fireAt }),
    );
    return this;
  }

  /**
   * Every attempt of an activity called with retry fails. Starts with the failure of `taskId`,
   * which must have been scheduled; ends in the episode where the last retry timer fired, i.e.
   * where the orchestrator sees the failure. Returns the ids of all attempts.
   */
  activityFailsEveryAttempt(taskId: number, attempts: number, message: string, retryIntervalMs: number): number[] {
    const scheduled = this.scheduled.get(taskId);
    if (scheduled === undefined || !('name' in scheduled)) throw new Error(`${taskId} is not an activity`);
    if (this.isChild(taskId)) {
      // A sub-orchestration retried inside itself: the parent sees one failure at the end.
      this.activityFailed(taskId, message);
      return [taskId];
    }
    const ids = [taskId];
    let current = taskId;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      this.activityFailed(current, message);
      const timer = this.timerCreated(new Date(this.clock.getTime() + retryIntervalMs));
      this.nextEpisode(retryIntervalMs).timerFired(timer);
      if (attempt < attempts) {
        current = this.activityScheduled(scheduled.name, scheduled.input);
        ids.push(current);
        this.nextEpisode();
      }
    }
    return ids;
  }
}

/** Runs the orchestrator over the history through the SDK, as the extension's binding would. */
export async function replay(
  orchestrator: OrchestrationHandler,
  history: HistoryBuilder,
  instanceId: string,
): Promise<OrchestratorState> {
  // The binding of a current extension: schema V2 advertised, V3 (= 2) in upperSchemaVersionNew.
  const binding = new testingUtils.DurableOrchestrationInput(
    instanceId,
    history.events,
    history.input,
    '3.00:00:00',
    '6.00:00:00',
    30_000,
    1,
  );
  binding.upperSchemaVersionNew = 2;
  const context = new testingUtils.DummyOrchestrationContext(history.orchestratorName, undefined, () => undefined);
  return testingUtils.createOrchestrator(orchestrator)(binding, context);
}

/**
 * Actions as one line each: "any(doActivityA, timer 10:05:00)", "all(rejectActivityB, ...)".
 * Timers show their fire time (UTC, time of day) and "cancelled" once cancelled.
 */
export function describeActions(state: OrchestratorState): string[] {
  return (state.actions[0] ?? []).map(describeAction);
}

export function describeAction(action: SdkAction): string {
  const type = actionTypes[action.actionType] ?? `action${action.actionType}`;
  switch (type) {
    case 'CallActivity':
    case 'CallActivityWithRetry':
      return action.functionName ?? '?';
    case 'CallSubOrchestrator':
    case 'CallSubOrchestratorWithRetry': {
      // The saga's step runner: show which do-activity it runs.
      const activity = (action.input as { activity?: unknown } | undefined)?.activity;
      return `${action.functionName ?? '?'}(${typeof activity === 'string' ? activity : ''})`;
    }
    case 'CreateTimer':
      return `timer ${action.fireAt?.toISOString().slice(11, 19) ?? '?'}${action.isCanceled ? ' cancelled' : ''}`;
    case 'WhenAny':
      return `any(${(action.compoundActions ?? []).map(describeAction).join(', ')})`;
    case 'WhenAll':
      return `all(${(action.compoundActions ?? []).map(describeAction).join(', ')})`;
    default:
      return type;
  }
}

/** All activity and sub-orchestration actions, compound ones unfolded, in the order they were scheduled. */
export function activityActions(state: OrchestratorState): SdkAction[] {
  const unfold = (action: SdkAction): SdkAction[] =>
    action.compoundActions !== undefined ? action.compoundActions.flatMap(unfold) : [action];
  return (state.actions[0] ?? []).flatMap(unfold).filter((action) => action.functionName !== undefined);
}
