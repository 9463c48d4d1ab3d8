import { isDeepStrictEqual } from 'node:util';
import { replayActions, type ReplayResult, type ScheduledTask } from '../durable/engine/actionReplay';
import { invokeOrchestrator, replayOptions } from '../durable/engine/orchestrationEpisode';
import type { OrchestratorAnswer } from '../durable/engine/orchestratorAnswer';
import { EventType, OrchestrationStatus, type HistoryEvent } from '../durable/history/historyEvent';
import type { RecordedHistory } from './history/recordedHistory';
import type { ReplayApp } from './replayApp';
import {
  describeStep,
  type CodeOutcome,
  type RecordedOutcome,
  type ReplayProblem,
  type ReplayReport,
  type ReplayStep,
} from './replayReport';

/**
 * Replays a whole recorded execution against the app's current orchestrator code, the way the
 * extension would on the instance's next episode: the SDK runs the orchestrator over the history
 * (every event already played), then the host's mirror of the extension's replay walks the
 * returned actions against the recorded scheduling events. The first recorded step the code no
 * longer takes is the nondeterminism a deployment would hit.
 */
export async function checkReplay(app: ReplayApp, history: RecordedHistory): Promise<ReplayReport> {
  const events: HistoryEvent[] = history.events.map((e) => ({ ...e, IsPlayed: true }));
  const recorded = recordedOutcome(events);
  const report: ReplayReport = {
    ok: false,
    orchestrator: history.orchestrator,
    instanceId: history.instanceId,
    source: history.source,
    eventCount: events.length,
    scheduledCount: events.filter((e) => stepOfEvent(e) !== undefined).length,
    recorded,
    current: undefined,
    notes: [],
  };

  if (!app.registry.find(history.orchestrator, 'orchestration')) {
    const known = app.registry
      .ofKind('orchestration')
      .map((f) => f.name)
      .sort();
    report.problem = {
      kind: 'unknown-orchestrator',
      name: history.orchestrator,
      known,
      message: `The app has no orchestrator named '${history.orchestrator}' (${known.length > 0 ? `it has: ${known.join(', ')}` : 'it registers none'}).`,
    };
    return report;
  }

  const { answer, threw } = await invokeOrchestrator(app.registry, app.invoker, {
    name: history.orchestrator,
    instanceId: history.instanceId,
    input: history.input,
    parentInstanceId: history.parentInstanceId,
    history: events,
    isReplaying: true,
  });
  const replay = replayActions(events, answer.actions[0] ?? [], replayOptions(app.registry, history.executionId));
  report.current = codeOutcome(answer, threw, replay);
  report.problem = findProblem(events, recorded, report.current, replay);
  if (threw && report.problem?.kind === 'mismatch')
    report.notes.push(`The orchestrator threw during the replay: ${answer.error ?? 'no message'}`);
  if (!report.problem) report.notes.push(...notesFor(recorded, report.current));
  report.ok = report.problem === undefined;
  return report;
}

function findProblem(
  events: HistoryEvent[],
  recorded: RecordedOutcome,
  current: CodeOutcome,
  replay: ReplayResult,
): ReplayProblem | undefined {
  if (replay.mismatch) {
    const { position, sequenceId, actual } = replay.mismatch;
    return {
      kind: 'mismatch',
      position,
      sequenceId,
      expected: stepOfEvent(events[position]) ?? stepOfTask(replay.mismatch.expected),
      actual: actual ? stepOfTask(actual) : undefined,
      message: replay.failure ?? 'The replay does not match.',
    };
  }
  if (replay.failure) return { kind: 'invalid-action', message: replay.failure };

  // The runtime would schedule this as new work without complaint; but where history shows the
  // orchestration ending, new work means the code no longer ends the way it did.
  const first = replay.newEvents[0];
  const ended = recorded.state === 'completed' || recorded.state === 'continued-as-new';
  if (ended && first !== undefined) {
    const actual = stepOfEvent(first);
    const completion = events[recorded.position];
    return {
      kind: 'mismatch',
      position: recorded.position,
      sequenceId: first.EventId,
      expected: { kind: 'completion' },
      actual,
      message:
        `History ends the orchestration at event ${recorded.position} (${EventType[completion.EventType]}, sequence id ${completion.EventId}); ` +
        `the current code schedules ${describeStep(actual)} with sequence id ${first.EventId} instead.`,
    };
  }
  if (recorded.state === 'completed' && current.state !== 'completed') {
    return {
      kind: 'outcome',
      position: recorded.position,
      message: `History completed the orchestration at event ${recorded.position}; the current code ${doesInstead(current)}.`,
    };
  }
  if (recorded.state === 'continued-as-new' && current.state !== 'continued-as-new') {
    return {
      kind: 'outcome',
      position: recorded.position,
      message: `History continued the orchestration as new at event ${recorded.position}; the current code ${doesInstead(current)}.`,
    };
  }
  return undefined;
}

function doesInstead(current: CodeOutcome): string {
  switch (current.state) {
    case 'failed':
      return `fails instead: ${current.error}`;
    case 'running':
      return 'has not finished: it still waits (for an event history never delivered)';
    case 'continued-as-new':
      return 'continues as new instead';
    case 'completed':
      return 'completes instead';
  }
}

function notesFor(recorded: RecordedOutcome, current: CodeOutcome): string[] {
  if (
    recorded.state === 'completed' &&
    current.state === 'completed' &&
    !isDeepStrictEqual(recorded.output, jsonValue(current.output))
  ) {
    return [
      `The code now returns a different output than history recorded (replay is not affected): ${JSON.stringify(current.output)}`,
    ];
  }
  if (recorded.state === 'failed' && current.state !== 'failed') {
    return [
      `History ended Failed (${recorded.error}); the current code ${current.state === 'completed' ? 'completes' : 'does not fail'} there.`,
    ];
  }
  if (recorded.state === 'running' && current.state === 'running' && current.next.length > 0) {
    return [
      `On its next episode the current code would schedule: ${current.next.map(describeStep).join(', ')} (history's last episode did not).`,
    ];
  }
  if (recorded.state === 'running' && current.state !== 'running') {
    return [`On its next episode the current code would end the orchestration (${current.state}).`];
  }
  return [];
}

/** What JSON would make of a value (the output history stores went through JSON too). */
function jsonValue(value: unknown): unknown {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
}

function parsedResult(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function recordedOutcome(events: HistoryEvent[]): RecordedOutcome {
  for (let position = events.length - 1; position >= 0; position--) {
    const e = events[position];
    if (e.EventType === EventType.ContinueAsNew) return { state: 'continued-as-new', position };
    if (e.EventType === EventType.ExecutionTerminated) return { state: 'terminated', position };
    if (e.EventType !== EventType.ExecutionCompleted) continue;
    switch (e.OrchestrationStatus) {
      case OrchestrationStatus.Completed:
        return { state: 'completed', position, output: parsedResult(e.Result) };
      case OrchestrationStatus.Terminated:
        return { state: 'terminated', position };
      default:
        return { state: 'failed', position, error: e.Result ?? JSON.stringify(e.FailureDetails ?? null) };
    }
  }
  return { state: 'running' };
}

function codeOutcome(answer: OrchestratorAnswer, threw: boolean, replay: ReplayResult): CodeOutcome {
  if (threw) return { state: 'failed', error: answer.error ?? 'The orchestrator threw a value that is not an Error.' };
  if (answer.isDone && replay.continueAsNew) return { state: 'continued-as-new' };
  if (answer.isDone) return { state: 'completed', output: answer.output };
  return { state: 'running', next: replay.newEvents.map(stepOfEvent).filter((s): s is ReplayStep => s !== undefined) };
}

function stepOfEvent(e: HistoryEvent | undefined): ReplayStep | undefined {
  switch (e?.EventType) {
    case EventType.TaskScheduled:
      return { kind: 'activity', name: e.Name ?? '' };
    case EventType.SubOrchestrationInstanceCreated:
      return { kind: 'subOrchestration', name: e.Name ?? '' };
    case EventType.TimerCreated:
      return e.FireAt ? { kind: 'timer', fireAt: e.FireAt } : { kind: 'timer' };
    case EventType.EventSent:
      return { kind: 'entityMessage', name: e.Name ?? '', ...(e.InstanceId ? { target: e.InstanceId } : {}) };
    default:
      return undefined;
  }
}

function stepOfTask(task: ScheduledTask): ReplayStep {
  return task.name === undefined ? { kind: task.kind } : { kind: task.kind, name: task.name };
}
