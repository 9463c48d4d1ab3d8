import { sagaSteps } from '../saga/steps';
import { optional } from './optionalProperty';
import type { MarkerKind } from './timeline';
import { epochMs } from './timestamps';

// What the saga's history events say, for the timeline: each attempt of each activity as a run
// (a v1/v2 step sub-orchestration as a run of its do-activity), v3's backoff waits between
// attempts, and the instance's own moments (suspended, resumed, events, its end) as markers.

export interface ActivityRun {
  readonly activity: string;
  readonly startMs?: number;
  readonly endMs?: number;
  readonly outcome: 'running' | 'completed' | 'failed';
  readonly result?: unknown;
  readonly error?: string;
}

const answerTypes = new Set([
  'TaskCompleted',
  'TaskFailed',
  'SubOrchestrationInstanceCompleted',
  'SubOrchestrationInstanceFailed',
]);
const schedulingTypes = new Set(['TaskScheduled', 'SubOrchestrationInstanceCreated']);

/**
 * The history's answer events, and scheduled work nothing has answered yet, as runs. A step
 * sub-orchestration counts as a run of the do-activity named in its input.
 */
export function activityRuns(events: readonly Record<string, unknown>[]): ActivityRun[] {
  const runs: ActivityRun[] = [];
  const answered = new Set<string>();
  for (const event of events) {
    if (typeof event.EventType !== 'string' || !answerTypes.has(event.EventType)) continue;
    const activity = runName(event, 'FunctionName');
    const startMs = epochMs(event.ScheduledTime);
    answered.add(`${activity}@${String(startMs)}`);
    const failed = event.EventType.endsWith('Failed');
    runs.push({
      activity,
      ...optional('startMs', startMs),
      ...optional('endMs', epochMs(event.Timestamp)),
      ...(failed
        ? { outcome: 'failed' as const, error: failureText(event.Reason) }
        : { outcome: 'completed' as const, result: event.Result }),
    });
  }
  for (const event of events) {
    if (typeof event.EventType !== 'string' || !schedulingTypes.has(event.EventType)) continue;
    const activity = runName(event, 'Name');
    const startMs = epochMs(event.Timestamp);
    // The extension drops answered scheduling events from this view; skip them anyway if present.
    if (answered.has(`${activity}@${String(startMs)}`)) continue;
    runs.push({ activity, ...optional('startMs', startMs), outcome: 'running' });
  }
  return runs.sort((a, b) => (a.startMs ?? Infinity) - (b.startMs ?? Infinity));
}

/** The activity a run stands for: its function, or for a step sub-orchestration the activity in its input. */
function runName(event: Record<string, unknown>, nameField: 'FunctionName' | 'Name'): string {
  const name = stringField(event, nameField) ?? '?';
  if (typeof event.EventType !== 'string' || !event.EventType.startsWith('SubOrchestration')) return name;
  return stepActivityOf(event.Input) ?? name;
}

/**
 * The do-activity a step sub-orchestration runs, from its input `{ activity, input, retry }`. The
 * history view parses inputs of answered sub-orchestrations but leaves the one of a still-running
 * SubOrchestrationInstanceCreated as the stored JSON text, so both are read.
 */
export function stepActivityOf(input: unknown): string | undefined {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  const activity = value !== null && typeof value === 'object' ? (value as { activity?: unknown }).activity : undefined;
  return typeof activity === 'string' && sagaSteps.some((step) => step.doActivity === activity) ? activity : undefined;
}

export interface BackoffWait {
  readonly activity: string;
  /** The attempt whose failure the wait follows (1 = the first). */
  readonly afterAttempt: number;
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * v3's backoff timers: TimerCreated events of the saga's own history whose fire time is not the
 * deadline. Each follows the latest failed attempt that ended by the time it was created.
 */
export function backoffWaits(
  events: readonly Record<string, unknown>[],
  runs: readonly ActivityRun[],
  deadlineMs: number | undefined,
): BackoffWait[] {
  const waits: BackoffWait[] = [];
  for (const event of events) {
    if (event.EventType !== 'TimerCreated') continue;
    const startMs = epochMs(event.Timestamp);
    const endMs = epochMs(event.FireAt);
    if (startMs === undefined || endMs === undefined || endMs === deadlineMs) continue;
    const failed = runs.filter((run) => run.outcome === 'failed' && run.endMs !== undefined && run.endMs <= startMs);
    const after = failed[failed.length - 1];
    if (after === undefined) continue;
    const afterAttempt = runs.filter(
      (run) => run.activity === after.activity && (run.startMs ?? 0) <= (after.startMs ?? 0),
    ).length;
    waits.push({ activity: after.activity, afterAttempt, startMs, endMs });
  }
  return waits;
}

/** v1/v2 sagas ran each step as a sub-orchestration; v3 sagas have none to read. */
export function ranStepsAsSubOrchestrations(historyEvents: readonly Record<string, unknown>[] | undefined): boolean {
  return (historyEvents ?? []).some(
    (event) => typeof event.EventType === 'string' && event.EventType.startsWith('SubOrchestrationInstance'),
  );
}

export interface MarkerDraft {
  readonly kind: MarkerKind;
  readonly atMs: number;
  readonly label: string;
}

export function markerDrafts(events: readonly Record<string, unknown>[]): MarkerDraft[] {
  const markers: MarkerDraft[] = [];
  for (const event of events) {
    const atMs = epochMs(event.Timestamp);
    if (atMs === undefined) continue;
    switch (event.EventType) {
      case 'ExecutionSuspended':
        markers.push({ kind: 'suspended', atMs, label: withReason('suspended', event.Reason) });
        break;
      case 'ExecutionResumed':
        markers.push({ kind: 'resumed', atMs, label: withReason('resumed', event.Reason) });
        break;
      case 'EventRaised':
        markers.push({ kind: 'event', atMs, label: `event ${stringField(event, 'Name') ?? '?'}` });
        break;
      case 'ExecutionTerminated':
        markers.push({ kind: 'terminated', atMs, label: withReason('terminated', event.Input) });
        break;
      case 'ExecutionCompleted':
        // A termination ends with ExecutionCompleted(Terminated) as well; its marker is already there.
        if (event.OrchestrationStatus === 'Completed')
          markers.push({ kind: 'completed', atMs, label: 'orchestration completed' });
        if (event.OrchestrationStatus === 'Failed')
          markers.push({ kind: 'failed', atMs, label: 'orchestration failed' });
        break;
      default:
        break;
    }
  }
  return markers;
}

/**
 * "Orchestrator function 'sagaStep' failed: Activity function 'doActivityB' failed:  charge …" →
 * "charge …": the first line, without the wrappers each layer adds.
 */
export function failureText(reason: unknown): string {
  const text = typeof reason === 'string' ? reason : 'failed';
  const firstLine = text.split('\n').find((line) => line.trim() !== '') ?? text;
  const withoutPrefix = firstLine.replace(/^(?:\s*(?:Activity|Orchestrator) function '[^']*' failed:)+\s*/, '').trim();
  return withoutPrefix.length > 300 ? `${withoutPrefix.slice(0, 299)}…` : withoutPrefix;
}

function withReason(what: string, reason: unknown): string {
  return typeof reason === 'string' && reason.trim() !== '' ? `${what}: ${reason.trim()}` : what;
}

function stringField(event: Record<string, unknown>, name: string): string | undefined {
  const value = event[name];
  return typeof value === 'string' ? value : undefined;
}
