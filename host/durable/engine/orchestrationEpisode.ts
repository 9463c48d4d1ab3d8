import { randomUUID } from 'node:crypto';
import type { FunctionRegistry } from '../../app/functionRegistry';
import type { FunctionInvoker } from '../../app/invokeFunction';
import { stringData } from '../../app/appInvocation';
import { WorkerExitedError } from '../../worker/workerExitedError';
import type { InstanceRecord } from '../../store/taskHubStore';
import {
  completedTaskId,
  EventType,
  historyEvents,
  OrchestrationStatus,
  type HistoryEvent,
} from '../history/historyEvent';
import { taskIds } from '../history/pendingWork';
import {
  DEFAULT_HTTP_SLEEP_MS,
  HTTP_ACTIVITY,
  releaseAtCompletion,
  replayActions,
  ReplayFailure,
  type NewWork,
  type ReplayOptions,
} from './actionReplay';
import { readAnswer, type OrchestratorAnswer } from './orchestratorAnswer';
import { noVersioning, versionMismatch, type VersioningPolicy } from './versioning';
import type { HostLogger } from '../../logging/hostLogger';

/**
 * What the host advertises to the SDK: replay schema V4 (what extension 3.13+ sends, for critical
 * sections) and Azure Storage's timer limits, like the extension. The SDK answers V4 in the V3
 * shape (one cumulative action list) and only then lets `context.df.lock` run.
 */
const SCHEMA_V2 = 1;
const SCHEMA_V4 = 3;
const MAX_SHORT_TIMER = '6.00:00:00';
const LONG_TIMER_INTERVAL = '3.00:00:00';
const DAY_MS = 24 * 3600 * 1000;
/** DTFx refuses a serialized custom status above 16 KB. */
const MAX_CUSTOM_STATUS = 16 * 1024;

export interface EpisodeInput {
  record: InstanceRecord;
  /** Committed history of the current execution. */
  past: HistoryEvent[];
  /** Messages in arrival order (their history events). */
  messages: HistoryEvent[];
  now: Date;
}

export interface EpisodeResult {
  record: InstanceRecord;
  /** Events this episode appends to the current execution's history (empty: nothing to commit). */
  newHistory: HistoryEvent[];
  /** The execution the new events belong to (differs from record.executionId after continue-as-new). */
  historyExecutionId: string;
  work: NewWork[];
  /** Indexes of `messages` this episode consumed or discarded (not held). */
  consumed: number[];
}

const FINISHED = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export function isFinished(record: InstanceRecord): boolean {
  return FINISHED.has(record.runtimeStatus);
}

function functionCheck(
  registry: FunctionRegistry,
): (name: string, kind: 'activity' | 'orchestrator' | 'entity') => void {
  return (name: string, kind: 'activity' | 'orchestrator' | 'entity'): void => {
    if (name === HTTP_ACTIVITY) return;
    const trigger = kind === 'activity' ? 'activity' : kind === 'entity' ? 'entity' : 'orchestration';
    if (registry.find(name, trigger)) return;
    const known = registry
      .ofKind(trigger)
      .map((f) => `'${f.name}'`)
      .join(', ');
    throw new ReplayFailure(
      `The function '${name}' doesn't exist, is disabled, or is not an ${kind} function. Additional info: The following are the known ${kind} functions: ${known}.`,
    );
  };
}

/** The extension's replay settings for Azure Storage: timers over 6 days are split into 3-day slices. */
export function replayOptions(
  registry: FunctionRegistry,
  executionId: string,
  defaultVersion = '',
  instanceId = '',
): ReplayOptions {
  return {
    executionId,
    instanceId,
    defaultVersion,
    maxShortTimerMs: 6 * DAY_MS,
    longTimerIntervalMs: 3 * DAY_MS,
    checkFunction: functionCheck(registry),
  };
}

export interface OrchestratorCall {
  name: string;
  instanceId: string;
  /** The orchestration input as JSON text, or null. */
  input: string | null;
  parentInstanceId: string | null;
  history: HistoryEvent[];
  isReplaying: boolean;
}

/**
 * Runs the app's orchestrator function over a history through the SDK, with the binding the
 * extension sends (schema V4), and reads its answer. Throws ReplayFailure when no such
 * orchestrator is registered.
 */
export async function invokeOrchestrator(
  registry: FunctionRegistry,
  invoker: FunctionInvoker,
  call: OrchestratorCall,
): Promise<{ answer: OrchestratorAnswer; threw: boolean }> {
  const orchestrator = registry.find(call.name, 'orchestration');
  if (!orchestrator)
    throw new ReplayFailure(
      `The function '${call.name}' doesn't exist, is disabled, or is not an orchestrator function.`,
    );
  const binding = {
    history: call.history,
    input: call.input === null ? null : (JSON.parse(call.input) as unknown),
    instanceId: call.instanceId,
    isReplaying: call.isReplaying,
    parentInstanceId: call.parentInstanceId,
    upperSchemaVersion: SCHEMA_V2,
    upperSchemaVersionNew: SCHEMA_V4,
    longRunningTimerIntervalDuration: LONG_TIMER_INTERVAL,
    maximumShortTimerDuration: MAX_SHORT_TIMER,
    defaultHttpAsyncRequestSleepTimeMillseconds: DEFAULT_HTTP_SLEEP_MS,
  };
  let returned: unknown;
  let thrown: unknown;
  try {
    const invocation = await invoker.invoke({
      fn: orchestrator,
      trigger: { string: JSON.stringify(binding) },
      triggerMetadata: { instanceId: stringData(call.instanceId) },
    });
    const value = invocation.returnValue as { json?: string; string?: string } | undefined;
    returned = value?.json !== undefined ? JSON.parse(value.json) : value?.string;
  } catch (error) {
    // The extension fails the instance when the worker running its episode exits
    // (TaskOrchestrationShim: "Orchestrator function '<name>' failed: <message>"), whatever its history holds.
    if (error instanceof WorkerExitedError) throw new ReplayFailure(error.message);
    thrown = error ?? new Error('The orchestrator threw a value that is not an Error.');
  }
  return readAnswer(returned, thrown);
}

/**
 * One orchestration episode: the new messages become history events, the SDK replays the whole
 * history, and the returned actions (mirrored the way the extension replays them) become new
 * scheduling events, work and possibly the end of the execution. Pure apart from invoking the
 * orchestrator: the caller commits the result before acting on it.
 */
export class OrchestrationEpisodes {
  private readonly rejected = new Set<string>();

  constructor(
    private readonly registry: FunctionRegistry,
    private readonly invoker: FunctionInvoker,
    private readonly versioning: VersioningPolicy = noVersioning,
    private readonly logger?: HostLogger,
  ) {}

  async run(input: EpisodeInput): Promise<EpisodeResult> {
    const { now } = input;
    const record: InstanceRecord = { ...input.record, lastUpdatedTime: now };
    const result: EpisodeResult = {
      record,
      newHistory: [],
      historyExecutionId: record.executionId,
      work: [],
      consumed: [],
    };
    if (isFinished(record)) {
      // Late messages for a finished instance are dropped, as DTFx does.
      result.consumed = input.messages.map((_, i) => i);
      return result;
    }

    const mismatch = versionMismatch(this.versioning, record.version);
    if (mismatch !== undefined && this.versioning.onMismatch === 'Reject') {
      // Left as it is, messages and all, for a worker whose version can run it.
      if (!this.rejected.has(record.instanceId))
        this.logger?.warn(`Not running ${record.instanceId}: ${mismatch} (versionFailureStrategy Reject)`);
      this.rejected.add(record.instanceId);
      return result;
    }

    const fresh: HistoryEvent[] = [historyEvents.orchestratorStarted(now)];
    const starting = input.past.length === 0;
    if (starting) {
      fresh.push(
        historyEvents.executionStarted(record.createdTime, {
          instanceId: record.instanceId,
          executionId: record.executionId,
          name: record.name,
          version: record.version,
          input: record.input,
          parent: record.parent,
          generation: record.generation,
        }),
      );
      record.runtimeStatus = 'Running';
    }

    const { scheduled, answered } = taskIds(input.past);
    let suspended = record.runtimeStatus === 'Suspended';
    let terminated: string | null | undefined;
    input.messages.forEach((message, index) => {
      if (terminated !== undefined) {
        result.consumed.push(index);
        return;
      }
      switch (message.EventType) {
        case EventType.ExecutionTerminated:
          terminated = message.Input ?? null;
          fresh.push({ ...message, Timestamp: fresh[0].Timestamp });
          result.consumed.push(index);
          return;
        case EventType.ExecutionSuspended:
          if (!suspended) fresh.push({ ...message, Timestamp: fresh[0].Timestamp });
          suspended = true;
          result.consumed.push(index);
          return;
        case EventType.ExecutionResumed:
          if (suspended) fresh.push({ ...message, Timestamp: fresh[0].Timestamp });
          suspended = false;
          result.consumed.push(index);
          return;
        default: {
          const answers = completedTaskId(message);
          if (answers !== undefined && (!scheduled.has(answers) || answered.has(answers))) {
            // A duplicate answer (activities are at-least-once) or one for another execution.
            result.consumed.push(index);
            return;
          }
          // While suspended, messages wait unconsumed (DTFx holds them back until resumed).
          if (suspended) return;
          if (answers !== undefined) answered.add(answers);
          fresh.push({ ...message, Timestamp: fresh[0].Timestamp });
          result.consumed.push(index);
        }
      }
    });

    if (terminated !== undefined) {
      fresh.push(historyEvents.executionCompleted(now, -1, OrchestrationStatus.Terminated, terminated));
      this.finish(record, 'Terminated', terminated, now);
      result.newHistory = [...fresh, historyEvents.orchestratorCompleted(now)];
      return result;
    }
    if (suspended) {
      record.runtimeStatus = 'Suspended';
      // Nothing but the suspension itself to record; the orchestrator does not run.
      result.newHistory = fresh.length > 1 ? [...fresh, historyEvents.orchestratorCompleted(now)] : [];
      return result;
    }
    if (record.runtimeStatus === 'Suspended') record.runtimeStatus = 'Running';
    if (fresh.length === 1 && !starting) return result;
    if (mismatch !== undefined) {
      const message = `Orchestrator function '${record.name}' failed: ${mismatch}`;
      result.newHistory = [
        ...fresh,
        historyEvents.executionCompleted(now, -1, OrchestrationStatus.Failed, message),
        historyEvents.orchestratorCompleted(now),
      ];
      this.finish(record, 'Failed', message, now);
      return result;
    }

    await this.replay(record, input.past, fresh, now, result);
    return result;
  }

  private async replay(
    record: InstanceRecord,
    past: HistoryEvent[],
    fresh: HistoryEvent[],
    now: Date,
    result: EpisodeResult,
  ): Promise<void> {
    const history = [...past.map((e) => ({ ...e, IsPlayed: true })), ...fresh];
    let failure: string | undefined;
    let answer: { answer: OrchestratorAnswer; threw: boolean } | undefined;
    try {
      answer = await invokeOrchestrator(this.registry, this.invoker, {
        name: record.name,
        instanceId: record.instanceId,
        input: record.input,
        parentInstanceId: record.parent?.OrchestrationInstance.InstanceId ?? null,
        history,
        isReplaying: past.length > 0,
      });
    } catch (error) {
      if (!(error instanceof ReplayFailure)) throw error;
      failure = error.message;
    }

    const actions = answer?.answer.actions[0] ?? [];
    const replay = replayActions(
      history,
      actions,
      replayOptions(this.registry, record.executionId, this.versioning.defaultVersion, record.instanceId),
    );
    failure ??= replay.failure;
    const customStatus = answer?.answer.customStatus;
    if (customStatus !== undefined && customStatus !== null) {
      const text = JSON.stringify(customStatus);
      if (text.length > MAX_CUSTOM_STATUS)
        failure ??= `The custom status is ${text.length} bytes when serialized; at most ${MAX_CUSTOM_STATUS} are allowed.`;
      else record.customStatus = text;
    } else {
      record.customStatus = null;
    }

    const newHistory = [...fresh];
    if (failure === undefined) {
      newHistory.push(...replay.newEvents);
      result.work = replay.newWork;
    }
    const settled = replay.driverDone && !replay.hasOpenTasks;
    const error = answer?.threw
      ? (answer.answer.error ?? 'The orchestrator threw a value that is not an Error.')
      : undefined;
    const completing = failure === undefined && error === undefined && answer?.answer.isDone === true && settled;
    // Locks still held are released only when the orchestration completes or continues as new.
    const released = completing ? releaseAtCompletion(replay, record.instanceId, now) : undefined;
    if (released) {
      newHistory.push(...released.events);
      result.work.push(...released.work);
    }
    const completionId = released?.nextId ?? replay.nextId;
    if (failure !== undefined || (error !== undefined && settled)) {
      const message = `Orchestrator function '${record.name}' failed: ${String(failure ?? error)}`;
      newHistory.push(historyEvents.executionCompleted(now, replay.nextId, OrchestrationStatus.Failed, message));
      this.finish(record, 'Failed', message, now);
      // DTFx still sends the messages of the failing episode (a release in a `finally` among
      // them); the work of a failed instance is pointless.
      result.work = result.work.filter((w) => w.kind === 'entityMessage');
    } else if (completing && replay.continueAsNew) {
      newHistory.push(historyEvents.continueAsNew(now, completionId, replay.continueAsNew.input));
      result.historyExecutionId = record.executionId;
      record.executionId = randomUUID().replace(/-/g, '');
      record.runtimeStatus = 'ContinuedAsNew';
      record.input = replay.continueAsNew.input;
      record.output = null;
      record.historyChunks = 0;
      record.generation += 1;
      record.createdTime = now;
    } else if (completing) {
      const returned = answer?.answer.output;
      const output = returned === undefined ? null : JSON.stringify(returned);
      newHistory.push(historyEvents.executionCompleted(now, completionId, OrchestrationStatus.Completed, output));
      this.finish(record, 'Completed', output, now);
    }
    newHistory.push(historyEvents.orchestratorCompleted(now));
    result.newHistory = newHistory;
  }

  private finish(
    record: InstanceRecord,
    status: 'Completed' | 'Failed' | 'Terminated',
    output: string | null,
    now: Date,
  ): void {
    record.runtimeStatus = status;
    record.output = output;
    record.completedTime = now;
  }
}
