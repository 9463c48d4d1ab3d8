import { SagaState, StepState } from '../saga/sagaState';
import { recordIncidentActivityName, sagaSteps, SagaStepDefinition, StepKey } from '../saga/steps';
import { optional } from './optionalProperty';
import {
  ActivityRun,
  activityRuns,
  BackoffWait,
  backoffWaits,
  failureText,
  MarkerDraft,
  markerDrafts,
} from './timelineHistory';
import { epochMs, formatDuration } from './timestamps';

// The saga drawn from two sources that complement each other:
// - the history events (the extension's `historyEvents` view: a TaskCompleted/TaskFailed carries
//   FunctionName and ScheduledTime, an unanswered TaskScheduled its Name) say when each attempt of
//   each activity ran, including retries and compensations that ran together. In v3 the saga calls
//   the do-activities itself: every attempt is in its own history, each raced against a timer set
//   to the deadline, with the backoff before a retry as a timer of its own (any other fire time).
//   In v1/v2 a step runs as a sub-orchestration (sagaStep) and shows in the saga's history as one
//   SubOrchestrationInstance* event whose Input names the do-activity; its attempts are in the
//   child's own history, which the caller passes in as `stepInstances`;
// - the custom status (SagaState) says what each step meant: a business rejection, an error after
//   the retries, a compensation that failed. It is the orchestrator's own verdict, so where both
//   speak, it decides the outcome and the history supplies the times.
// Either may be missing (a Pending instance has no history, an instance from another app version
// may have an unreadable status); the timeline then shows what the other one knows.

export type EntryOutcome =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'rejected'
  | 'failed'
  | 'compensated'
  | 'compensation-failed'
  | 'recorded'
  | 'interrupted';

export type EntryGroup = 'forward' | 'compensations' | 'incidents';

export interface TimelineAttempt {
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly outcome: 'running' | 'completed' | 'failed';
  /** First line of the failure, for a failed attempt. */
  readonly error?: string;
  readonly leftPct: number;
  readonly widthPct: number;
}

export interface TimelineEntry {
  /** Stable within one instance: "step-A", "compensation-B", "activity-checkCredit", "incident-1". */
  readonly id: string;
  readonly group: EntryGroup;
  readonly step?: StepKey;
  readonly activity: string;
  readonly label: string;
  readonly outcome: EntryOutcome;
  /** The reference, the business reason, or the error: what a person wants to read next. */
  readonly detail?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly durationText?: string;
  readonly attempts: readonly TimelineAttempt[];
  /** v3: the waits between attempts (the saga's own backoff timers), as bars like the attempts. */
  readonly backoffs: readonly TimelineBackoff[];
}

export interface TimelineBackoff {
  readonly startedAt: string;
  /** When the next attempt was due (the timer's fire time). */
  readonly endedAt: string;
  readonly leftPct: number;
  readonly widthPct: number;
}

export type MarkerKind =
  'suspended' | 'resumed' | 'event' | 'terminated' | 'completed' | 'failed' | 'backoff' | 'deadline';

export interface TimelineMarker {
  readonly kind: MarkerKind;
  readonly at: string;
  readonly label: string;
  readonly atPct: number;
}

export interface TimelineTick {
  readonly pct: number;
  readonly label: string;
}

export interface Timeline {
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly spanText: string;
  /** True while the instance can still change: bars of running work end at "now". */
  readonly live: boolean;
  readonly entries: readonly TimelineEntry[];
  readonly markers: readonly TimelineMarker[];
  readonly ticks: readonly TimelineTick[];
  /** The saga contract runs compensations with Task.all: true when the history shows them dispatched at once. */
  readonly compensationsRanTogether: boolean;
}

export interface TimelineSource {
  readonly historyEvents?: readonly Record<string, unknown>[];
  /** The step sub-orchestrations, keyed by the do-activity each one runs. */
  readonly stepInstances?: ReadonlyMap<string, StepInstanceSource>;
  readonly saga?: SagaState;
  readonly runtimeStatus: string;
  readonly createdTime?: string;
  readonly lastUpdatedTime?: string;
  readonly now: Date;
}

export interface StepInstanceSource {
  readonly instanceId: string;
  readonly runtimeStatus: string;
  readonly historyEvents: readonly Record<string, unknown>[];
}

/** Runtime statuses after which nothing in the instance moves any more. */
export const finishedRuntimeStatuses: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/** The narrowest bar still visible and clickable, in percent of the timeline. */
const minBarPct = 0.6;

export function buildTimeline(source: TimelineSource): Timeline {
  const events = source.historyEvents ?? [];
  const finished = finishedRuntimeStatuses.has(source.runtimeStatus);
  const runs = activityRuns(events);
  const byActivity = groupBy(runs, (run) => run.activity);
  const deadlineMs = epochMs(source.saga?.deadlineAt);
  const backoffs = backoffWaits(events, runs, deadlineMs);

  const drafts: EntryDraft[] = [];
  const known = new Set<string>();
  for (const step of sagaSteps) {
    known.add(step.doActivity);
    known.add(step.rejectActivity);
    const stepRuns = byActivity.get(step.doActivity) ?? [];
    const child = source.stepInstances?.get(step.doActivity);
    // Inside a step's sub-orchestration each retry is its own attempt; without it, the runs seen
    // by the saga are the attempts.
    const attempts =
      child === undefined
        ? stepRuns
        : activityRuns(child.historyEvents).filter((run) => run.activity === step.doActivity);
    const entry = stepEntry(
      step,
      source.saga?.steps.find((s) => s.step === step.key),
      stepRuns,
      attempts,
      finished,
    );
    // Ending the saga does not end its children: a step still running may yet commit.
    const orphaned =
      child !== undefined && entry.outcome === 'interrupted' && !finishedRuntimeStatuses.has(child.runtimeStatus);
    drafts.push(
      orphaned
        ? {
            ...entry,
            detail: `the saga ended while this step ran; its sub-orchestration ${child.instanceId} is still ${child.runtimeStatus} and may yet commit`,
          }
        : entry,
    );
  }
  known.add(recordIncidentActivityName);
  // Activities outside the step table (a newer saga version's extra check, say) keep their own row.
  for (const [activity, activityRunsOfName] of byActivity) {
    if (!known.has(activity)) drafts.push(otherActivityEntry(activity, activityRunsOfName, finished));
  }
  const forward = orderForward(drafts).map((draft) => ({
    ...draft,
    backoffs: backoffs.filter((wait) => wait.activity === draft.activity),
  }));

  // Compensations are listed in the order the orchestrator dispatches them: latest step first.
  const compensations = [...sagaSteps]
    .reverse()
    .map((step) =>
      compensationEntry(
        step,
        source.saga?.steps.find((s) => s.step === step.key),
        byActivity.get(step.rejectActivity) ?? [],
        finished,
      ),
    )
    .filter((entry): entry is EntryDraft => entry !== undefined);
  const incidents = (byActivity.get(recordIncidentActivityName) ?? []).map((run, index) =>
    incidentEntry(run, index, finished),
  );

  const markers = [
    ...markerDrafts(events),
    ...backoffs.map((wait): MarkerDraft => ({
      kind: 'backoff',
      atMs: wait.startMs,
      label: `${wait.activity}: attempt ${wait.afterAttempt} failed, next attempt at ${iso(wait.endMs).slice(11, 23)} (${formatDuration(wait.endMs - wait.startMs)} backoff)`,
    })),
  ];
  const startMs = firstDefined(
    epochMs(events.find((event) => event.EventType === 'ExecutionStarted')?.Timestamp),
    epochMs(source.saga?.startedAt),
    epochMs(source.createdTime),
    ...runs.map((run) => run.startMs),
  );
  const allDrafts: EntryDraft[] = [...forward, ...compensations, ...incidents];
  const endMs = finished
    ? maxOf([
        epochMs(source.lastUpdatedTime),
        ...allDrafts.flatMap((draft) => draft.attempts.map((a) => a.endMs)),
        ...markers.map((m) => m.atMs),
      ])
    : source.now.getTime();
  const span =
    startMs === undefined || endMs === undefined ? undefined : { startMs, endMs: Math.max(endMs, startMs + 1) };

  // The deadline, once it has passed while the instance lived (v3 races every attempt against it).
  if (deadlineMs !== undefined && span !== undefined && deadlineMs <= span.endMs) {
    const stopped = source.saga?.stoppedBy?.cause === 'deadline';
    markers.push({
      kind: 'deadline',
      atMs: deadlineMs,
      label: stopped
        ? `deadline: the saga stopped at ${source.saga?.stoppedBy?.step ?? '?'} and compensated`
        : 'deadline',
    });
  }
  markers.sort((a, b) => a.atMs - b.atMs);
  const scheduled = compensations.map((entry) => entry.attempts[0]?.startMs);
  return {
    ...(span !== undefined ? { startedAt: iso(span.startMs), endedAt: iso(span.endMs) } : {}),
    spanText: span !== undefined ? formatDuration(span.endMs - span.startMs) : '–',
    live: !finished,
    entries: allDrafts.map((draft) => finishEntry(draft, span)),
    markers: markers.map((marker) => ({
      kind: marker.kind,
      at: iso(marker.atMs),
      label: marker.label,
      atPct: span === undefined ? 0 : pct(marker.atMs - span.startMs, span),
    })),
    ticks: span === undefined ? [] : ticks(span),
    compensationsRanTogether:
      compensations.length > 1 && scheduled.every((ms) => ms !== undefined && ms === scheduled[0]),
  };
}

/** An entry before the timeline's span is known: times as epoch milliseconds, runs not yet laid out. */
interface EntryDraft extends Pick<
  TimelineEntry,
  'id' | 'group' | 'step' | 'activity' | 'label' | 'outcome' | 'detail'
> {
  readonly startMs?: number;
  readonly endMs?: number;
  readonly attempts: readonly ActivityRun[];
  readonly backoffs?: readonly BackoffWait[];
}

function stepEntry(
  step: SagaStepDefinition,
  state: StepState | undefined,
  runs: readonly ActivityRun[],
  attempts: readonly ActivityRun[],
  finished: boolean,
): EntryDraft {
  const fromHistory = historyVerdict(runs, attempts, finished);
  const verdict = state === undefined ? fromHistory : stepVerdict(state, fromHistory, finished);
  const first = runs[0] ?? attempts[0];
  const last = runs[runs.length - 1] ?? attempts[attempts.length - 1];
  return {
    id: `step-${step.key}`,
    group: 'forward',
    step: step.key,
    activity: step.doActivity,
    label: `${step.key} · ${step.action}`,
    ...verdict,
    ...optional('startMs', first?.startMs ?? epochMs(state?.startedAt)),
    ...optional('endMs', last?.endMs ?? epochMs(state?.completedAt ?? state?.failedAt)),
    attempts,
  };
}

/** What the orchestrator recorded about a step; the history fills in what it does not say. */
function stepVerdict(state: StepState, fromHistory: Verdict, finished: boolean): Verdict {
  if (state.error !== undefined) return { outcome: 'failed', detail: failureText(state.error) };
  if (state.reason !== undefined)
    return { outcome: 'rejected', detail: `${state.reason.code}: ${state.reason.message}` };
  if (state.completedAt !== undefined || state.ref !== undefined) {
    return { outcome: 'succeeded', ...optional('detail', state.ref) };
  }
  if (state.status === 'running') {
    if (finished) return { outcome: 'interrupted', detail: 'the instance ended while this step was running' };
    return { outcome: 'running', ...optional('detail', fromHistory.detail) };
  }
  return fromHistory;
}

interface Verdict {
  readonly outcome: EntryOutcome;
  readonly detail?: string;
}

/**
 * An outcome from the history alone: the last run decides (for a step, the sub-orchestration's
 * answer); while it runs, the attempts inside say whether it is waiting to retry.
 */
function historyVerdict(runs: readonly ActivityRun[], attempts: readonly ActivityRun[], finished: boolean): Verdict {
  const last = runs[runs.length - 1];
  if (last === undefined) return { outcome: 'pending', detail: 'not run' };
  const lastAttempt = attempts[attempts.length - 1];
  if (last.outcome === 'running' || (last.outcome === 'failed' && !finished && runs === attempts)) {
    if (finished) return { outcome: 'interrupted', detail: 'the instance ended while this ran' };
    if (lastAttempt?.outcome === 'failed') {
      return {
        outcome: 'running',
        detail: `${attemptText(attempts)} failed: ${lastAttempt.error ?? 'error'}; waiting to retry`,
      };
    }
    return { outcome: 'running', detail: attemptText(attempts.length > 0 ? attempts : runs) };
  }
  if (last.outcome === 'failed') return { outcome: 'failed', ...optional('detail', last.error) };
  const result = last.result as
    { ok?: unknown; ref?: unknown; reason?: { code?: string; message?: string } } | null | undefined;
  if (result?.ok === false) {
    return {
      outcome: 'rejected',
      detail: `${result.reason?.code ?? 'rejected'}: ${result.reason?.message ?? ''}`.trim(),
    };
  }
  return { outcome: 'succeeded', ...optional('detail', typeof result?.ref === 'string' ? result.ref : undefined) };
}

function attemptText(runs: readonly ActivityRun[]): string {
  return runs.length === 1 ? 'attempt 1' : `attempt ${runs.length}`;
}

function otherActivityEntry(activity: string, runs: readonly ActivityRun[], finished: boolean): EntryDraft {
  return {
    id: `activity-${activity}`,
    group: 'forward',
    activity,
    label: activity,
    ...historyVerdict(runs, runs, finished),
    ...optional('startMs', runs[0]?.startMs),
    ...optional('endMs', runs[runs.length - 1]?.endMs),
    attempts: runs,
  };
}

function compensationEntry(
  step: SagaStepDefinition,
  state: StepState | undefined,
  runs: readonly ActivityRun[],
  finished: boolean,
): EntryDraft | undefined {
  const compensatedInState = state?.status === 'compensated' || state?.status === 'compensation-failed';
  if (runs.length === 0 && !compensatedInState) return undefined;
  const last = runs[runs.length - 1];
  let verdict: Verdict;
  if (state?.status === 'compensated') {
    verdict = { outcome: 'compensated', ...optional('detail', effectOf(last?.result)) };
  } else if (state?.status === 'compensation-failed') {
    verdict = {
      outcome: 'compensation-failed',
      ...optional('detail', state.compensationError === undefined ? undefined : failureText(state.compensationError)),
    };
  } else if (last?.outcome === 'completed') {
    verdict = { outcome: 'compensated', ...optional('detail', effectOf(last.result)) };
  } else if (finished) {
    verdict =
      last?.outcome === 'failed'
        ? { outcome: 'compensation-failed', ...optional('detail', last.error) }
        : { outcome: 'interrupted', detail: 'the instance ended while this compensation ran' };
  } else {
    verdict =
      last?.outcome === 'failed'
        ? { outcome: 'running', detail: `${attemptText(runs)} failed: ${last.error ?? 'error'}; waiting to retry` }
        : { outcome: 'running', detail: attemptText(runs) };
  }
  return {
    id: `compensation-${step.key}`,
    group: 'compensations',
    step: step.key,
    activity: step.rejectActivity,
    label: `undo ${step.key} · ${step.action}`,
    ...verdict,
    ...optional('startMs', runs[0]?.startMs),
    ...optional('endMs', last?.endMs ?? epochMs(state?.compensatedAt)),
    attempts: runs,
  };
}

function incidentEntry(run: ActivityRun, index: number, finished: boolean): EntryDraft {
  const incidentId = (run.result as { incidentId?: unknown } | null | undefined)?.incidentId;
  const verdict: Verdict =
    run.outcome === 'completed'
      ? { outcome: 'recorded', ...optional('detail', typeof incidentId === 'string' ? incidentId : undefined) }
      : run.outcome === 'failed'
        ? { outcome: finished ? 'failed' : 'running', ...optional('detail', run.error) }
        : { outcome: finished ? 'interrupted' : 'running' };
  return {
    id: `incident-${index + 1}`,
    group: 'incidents',
    activity: run.activity,
    label: 'record incident',
    ...verdict,
    ...optional('startMs', run.startMs),
    ...optional('endMs', run.endMs),
    attempts: [run],
  };
}

/** Steps in table order; other activities slot in by when they started (e.g. a check before B). */
function orderForward(drafts: readonly EntryDraft[]): EntryDraft[] {
  const steps = drafts.filter((draft) => draft.step !== undefined);
  const others = drafts.filter((draft) => draft.step === undefined);
  const ordered = [...steps];
  for (const other of others.sort((a, b) => (a.startMs ?? Infinity) - (b.startMs ?? Infinity))) {
    const before = ordered.findIndex(
      (draft) => draft.startMs !== undefined && other.startMs !== undefined && draft.startMs > other.startMs,
    );
    const firstPending = ordered.findIndex((draft) => draft.startMs === undefined);
    const at = before >= 0 ? before : firstPending >= 0 ? firstPending : ordered.length;
    ordered.splice(at, 0, other);
  }
  return ordered;
}

function finishEntry(draft: EntryDraft, span: { startMs: number; endMs: number } | undefined): TimelineEntry {
  // Running work reaches "now"; work the end of the instance cut off reaches that end.
  const endMs =
    draft.outcome === 'running' || draft.outcome === 'interrupted' ? (span?.endMs ?? draft.endMs) : draft.endMs;
  return {
    id: draft.id,
    group: draft.group,
    ...optional('step', draft.step),
    activity: draft.activity,
    label: draft.label,
    outcome: draft.outcome,
    ...optional('detail', draft.detail),
    ...optional('startedAt', draft.startMs === undefined ? undefined : iso(draft.startMs)),
    ...optional('endedAt', endMs === undefined ? undefined : iso(endMs)),
    ...optional(
      'durationText',
      draft.startMs !== undefined && endMs !== undefined ? formatDuration(endMs - draft.startMs) : undefined,
    ),
    attempts: draft.attempts.map((run) => attemptView(run, span)),
    backoffs: (draft.backoffs ?? []).map((wait) => ({
      startedAt: iso(wait.startMs),
      endedAt: iso(wait.endMs),
      ...(span === undefined
        ? { leftPct: 0, widthPct: minBarPct }
        : barPosition(wait.startMs - span.startMs, wait.endMs - wait.startMs, span)),
    })),
  };
}

function attemptView(run: ActivityRun, span: { startMs: number; endMs: number } | undefined): TimelineAttempt {
  const startMs = run.startMs ?? span?.startMs;
  // An attempt still running (or cut off by the end of the instance) reaches the end of the span.
  const endMs = run.endMs ?? span?.endMs;
  const position =
    span === undefined || startMs === undefined || endMs === undefined
      ? { leftPct: 0, widthPct: minBarPct }
      : barPosition(startMs - span.startMs, endMs - startMs, span);
  return {
    ...optional('startedAt', run.startMs === undefined ? undefined : iso(run.startMs)),
    ...optional('endedAt', run.endMs === undefined ? undefined : iso(run.endMs)),
    outcome: run.outcome,
    ...optional('error', run.error),
    ...position,
  };
}

function barPosition(
  offsetMs: number,
  lengthMs: number,
  span: { startMs: number; endMs: number },
): { leftPct: number; widthPct: number } {
  const widthPct = Math.max(pct(lengthMs, span), minBarPct);
  const leftPct = Math.min(pct(offsetMs, span), 100 - widthPct);
  return { leftPct: round(Math.max(leftPct, 0)), widthPct: round(widthPct) };
}

function ticks(span: { startMs: number; endMs: number }): TimelineTick[] {
  return [0, 0.25, 0.5, 0.75, 1].map((fraction) => ({
    pct: fraction * 100,
    label: `+${formatDuration((span.endMs - span.startMs) * fraction)}`,
  }));
}

function pct(ms: number, span: { startMs: number; endMs: number }): number {
  return round(Math.min(Math.max((ms / (span.endMs - span.startMs)) * 100, 0), 100));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function effectOf(result: unknown): string | undefined {
  const effect = (result as { effect?: unknown } | null | undefined)?.effect;
  return typeof effect === 'string' ? effect : undefined;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    groups.set(name, [...(groups.get(name) ?? []), item]);
  }
  return groups;
}

function firstDefined(...values: (number | undefined)[]): number | undefined {
  return values.find((value) => value !== undefined);
}

function maxOf(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : Math.max(...defined);
}
