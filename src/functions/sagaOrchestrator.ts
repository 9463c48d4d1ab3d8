import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { z } from 'zod';
import { incidentResultSchema, StepActivityInput, stepResultSchema } from '../saga/activityContract';
import { compensationOrder, needsCompensation, StepSettlement } from '../saga/compensationPlan';
import { errorSummary } from '../saga/errorSummary';
import { retryDelayMs, toRetryOptions } from '../saga/retryPolicy';
import { sagaInputSchema } from '../saga/sagaInput';
import {
  completedOutcome,
  IncidentRecords,
  invalidInputOutcome,
  SagaOutcome,
  stoppedOutcome,
} from '../saga/sagaOutcome';
import {
  newSagaState,
  sagaCompleted,
  sagaFinishedCompensating,
  SagaState,
  sagaStopped,
  stepCompensated,
  stepCompensationFailed,
  stepCompleted,
  stepErrored,
  stepRejected,
  stepStarted,
} from '../saga/sagaState';
import {
  creditCheckActivityName,
  recordIncidentActivityName,
  sagaOrchestratorName,
  sagaStepOrchestratorName,
  sagaSteps,
  sagaVersionFeatures,
  StepKey,
  stepDefinition,
  SagaStepDefinition,
} from '../saga/steps';

// The order saga: A → B → C, then either done, or every queued compensation at once.
//
// Replay rules this code keeps (the SDK re-runs it from the start on every event):
// - time only from context.df.currentUtcDateTime; settings only from the input;
// - a task is put into at most one Task.any/Task.all. The extension sees every child of a new
//   compound task as new work, so reusing one deadline timer in several Task.any calls would
//   schedule it again. Each attempt therefore races its own timer, all set to the same deadline.
// - compound tasks are built only from tasks that have not finished yet;
// - a task that lost a Task.any is never yielded on its own afterwards: the extension stopped
//   awaiting it, so what the code yields next must not wait for it (see the deadline below);
// - nothing raced against a timer that is later cancelled may schedule tasks of its own while it
//   runs. The extension counts a cancelled timer as finished at once when it replays the race, and
//   it allocates a callActivityWithRetry's retry timers and attempts only as it replays the
//   failures, so a *WithRetry task in a race would be numbered differently by the extension and the
//   SDK. v3 races a plain callActivity per attempt and waits for the backoff with its own timer,
//   outside any race; v1/v2 ran each step as a sub-orchestration (sagaStep.ts) for the same reason.

type Saga = Generator<Task, SagaOutcome, unknown>;

export function* sagaOrchestrator(context: OrchestrationContext): Saga {
  const sagaId = context.df.instanceId;
  const input = sagaInputSchema.safeParse(context.df.getInput());
  if (!input.success) {
    if (!context.df.isReplaying) context.error(`saga ${sagaId}: unreadable input, nothing done`);
    return invalidInputOutcome(sagaId, `unreadable saga input: ${z.prettifyError(input.error)}`);
  }
  const { order, policy } = input.data;
  const stepRetry = toRetryOptions(policy.retry.step);
  const compensationRetry = toRetryOptions(policy.retry.compensation);
  const activityInput: StepActivityInput = { sagaId, order };
  const now = (): string => context.df.currentUtcDateTime.toISOString();
  const deadlineAt = new Date(context.df.currentUtcDateTime.getTime() + policy.deadlineMs);
  // The version this instance started with: a v1 saga keeps the v1 path after v2 is deployed.
  const features = sagaVersionFeatures(context.df.version ?? '');

  let state = newSagaState(sagaId, sagaSteps, now(), deadlineAt.toISOString());
  const publish = (next: SagaState): void => {
    state = next;
    context.df.setCustomStatus(state);
  };
  const log = (message: string): void => {
    if (!context.df.isReplaying) context.log(`saga ${sagaId}: ${message}`);
  };
  publish(state);

  const toCompensate = features.stepsCalledDirectly ? yield* runStepsDirectly() : yield* runStepsInChildren();

  if (state.stoppedBy === undefined) {
    publish(sagaCompleted(state, now()));
    log('completed');
    return completedOutcome(state, order);
  }

  const failures = yield* compensate(toCompensate);
  const incidents = yield* recordIncidents(failures);
  publish(sagaFinishedCompensating(state, now()));
  log(`${state.phase}${state.needsAttention ? ', needs attention' : ''}`);
  return stoppedOutcome(state, incidents);

  /** v1 and v2: each step is a sagaStep sub-orchestration raced against the deadline. Kept as it was. */
  function* runStepsInChildren(): Generator<Task, QueuedCompensation[], unknown> {
    const toCompensate: StepKey[] = [];
    for (const step of sagaSteps) {
      if (context.df.currentUtcDateTime.getTime() >= deadlineAt.getTime()) {
        publish(sagaStopped(state, step.key, 'deadline', now()));
        break;
      }
      publish(stepStarted(state, step.key, now()));
      if (step.key === 'B' && features.creditCheckBeforeCharge) {
        // v2: a refused credit check rejects B before any money moves (nothing of B to undo).
        const credit = yield* settle(
          context.df.callActivityWithRetry(creditCheckActivityName, stepRetry, activityInput),
        );
        if (credit.kind !== 'succeeded') {
          stopAtCreditCheck(step, credit);
          break;
        }
      }
      // The step runs as a child orchestration with its retries (see sagaStep.ts for why).
      const attempt = context.df.callSubOrchestrator(
        sagaStepOrchestratorName,
        { activity: step.doActivity, input: activityInput, retry: policy.retry.step },
        `${sagaId}:${step.key}`,
      );
      const deadline = context.df.createTimer(deadlineAt);
      const winner: unknown = yield context.df.Task.any([attempt, deadline]);
      if (winner === deadline) {
        // The step is still running (or waiting to retry) and may yet commit. Compensate it now
        // anyway: its reject leaves a fence that refuses a late commit. Waiting for it instead
        // would yield a task the extension no longer awaits, and the sequence numbers of the
        // extension and the SDK would drift apart (a nondeterminism failure on Azure).
        toCompensate.push(step.key);
        stopAtDeadline(step, 'the saga deadline passed while this step was running');
        break;
      }
      if (!deadline.isCompleted) deadline.cancel();

      const settlement = yield* settle(attempt);
      const at = now();
      if (needsCompensation(settlement)) toCompensate.push(step.key);
      log(`step ${step.key} ${settlement.kind}`);

      if (settlement.kind === 'rejected') {
        publish(sagaStopped(stepRejected(state, step.key, settlement.reason, at), step.key, 'business-rejection', at));
        break;
      }
      if (settlement.kind === 'errored') {
        publish(sagaStopped(stepErrored(state, step.key, settlement.error, at), step.key, 'step-error', at));
        break;
      }
      publish(stepCompleted(state, step.key, settlement.ref, at));
    }
    return compensationOrder(toCompensate).map(queueCompensation);
  }

  /**
   * v3: the saga calls each do-activity itself. After a step succeeds its reject task is created
   * (not yet yielded); when the saga stops, the queued rejects, latest first, are what compensate.
   */
  function* runStepsDirectly(): Generator<Task, QueuedCompensation[], unknown> {
    const queued: QueuedCompensation[] = [];
    // The deadline travels with the do-activity, which commits nothing at or after it.
    const doInput: StepActivityInput = { ...activityInput, deadlineAt: deadlineAt.toISOString() };
    for (const step of sagaSteps) {
      if (pastDeadline()) {
        publish(sagaStopped(state, step.key, 'deadline', now()));
        break;
      }
      publish(stepStarted(state, step.key, now()));
      if (step.key === 'B' && features.creditCheckBeforeCharge) {
        const credit = yield* callRacingDeadline(creditCheckActivityName, activityInput);
        if (credit.kind === 'deadline') {
          // Only a read was in flight: nothing of B to undo.
          stopAtDeadline(step, `the saga deadline passed during the credit check: ${credit.error}`);
          break;
        }
        if (credit.kind !== 'succeeded') {
          stopAtCreditCheck(step, credit);
          break;
        }
      }
      const outcome = yield* callRacingDeadline(step.doActivity, doInput);
      const at = now();
      log(`step ${step.key} ${outcome.kind}`);
      if (outcome.kind === 'succeeded') {
        publish(stepCompleted(state, step.key, outcome.ref, at));
        queued.push(queueCompensation(step.key));
        continue;
      }
      // A refused step changed nothing; a step that errored or was overtaken by the deadline may
      // have committed (a lost reply, an attempt still running), so it is compensated too.
      if (outcome.kind !== 'rejected') queued.push(queueCompensation(step.key));
      if (outcome.kind === 'deadline') stopAtDeadline(step, outcome.error);
      else if (outcome.kind === 'rejected')
        publish(sagaStopped(stepRejected(state, step.key, outcome.reason, at), step.key, 'business-rejection', at));
      else publish(sagaStopped(stepErrored(state, step.key, outcome.error, at), step.key, 'step-error', at));
      break;
    }
    return queued.reverse();
  }

  /**
   * One v3 step: attempts of a plain callActivity, each raced against a fresh deadline timer that
   * is cancelled when the activity answers first. A thrown error waits out the policy's backoff
   * with its own timer (outside any race) and tries again, up to the step's attempts; a retry that
   * would start at or after the deadline is the deadline path, as is a timer that wins.
   */
  function* callRacingDeadline(
    activity: string,
    activityInput: StepActivityInput,
  ): Generator<Task, RaceOutcome, unknown> {
    for (let attempt = 1; ; attempt++) {
      if (pastDeadline()) return { kind: 'deadline', error: 'the saga deadline passed before the next attempt' };
      const call = context.df.callActivity(activity, activityInput);
      const deadline = context.df.createTimer(deadlineAt);
      const winner: unknown = yield context.df.Task.any([call, deadline]);
      if (winner === deadline) {
        // The attempt may still commit before its own deadline check: it is compensated with the
        // rest, and never yielded again (the extension stopped awaiting it).
        log(`${activity} attempt ${attempt} still running at the deadline`);
        return { kind: 'deadline', error: 'the saga deadline passed while this step was running' };
      }
      if (!deadline.isCompleted) deadline.cancel();
      const answer = yield* settleAttempt(call);
      if (answer.kind === 'rejected' && answer.reason.code === 'deadline-passed') {
        return { kind: 'deadline', error: answer.reason.message };
      }
      if (answer.kind !== 'thrown') return answer;
      if (attempt >= policy.retry.step.maxAttempts) return { kind: 'errored', error: answer.error };
      const retryAt = new Date(context.df.currentUtcDateTime.getTime() + retryDelayMs(policy.retry.step, attempt));
      if (retryAt.getTime() >= deadlineAt.getTime()) {
        return {
          kind: 'deadline',
          error: `the next attempt would start after the saga deadline (attempt ${attempt} failed: ${answer.error})`,
        };
      }
      log(`${activity} attempt ${attempt} failed, next at ${retryAt.toISOString()}: ${answer.error}`);
      yield context.df.createTimer(retryAt);
    }
  }

  function* settleAttempt(task: Task): Generator<Task, StepSettlement | { kind: 'thrown'; error: string }, unknown> {
    let answer: unknown;
    try {
      answer = yield task;
    } catch (error) {
      return { kind: 'thrown', error: errorSummary(error) };
    }
    // An unreadable answer is a bug or a version mismatch: trying again would not change it.
    const result = stepResultSchema.safeParse(answer);
    if (!result.success) return { kind: 'errored', error: 'the step answered with an unreadable result' };
    return result.data.ok
      ? { kind: 'succeeded', ref: result.data.ref }
      : { kind: 'rejected', reason: result.data.reason };
  }

  function pastDeadline(): boolean {
    return context.df.currentUtcDateTime.getTime() >= deadlineAt.getTime();
  }

  function stopAtDeadline(step: SagaStepDefinition, error: string): void {
    const at = now();
    log(`step ${step.key}: ${error}`);
    publish(sagaStopped(stepErrored(state, step.key, error, at), step.key, 'deadline', at));
  }

  function stopAtCreditCheck(step: SagaStepDefinition, credit: Exclude<StepSettlement, { kind: 'succeeded' }>): void {
    const at = now();
    log(`credit check ${credit.kind}`);
    if (credit.kind === 'rejected')
      publish(sagaStopped(stepRejected(state, step.key, credit.reason, at), step.key, 'business-rejection', at));
    else publish(sagaStopped(stepErrored(state, step.key, credit.error, at), step.key, 'step-error', at));
  }

  /** The step's reject task, created now and yielded only if the saga has to compensate. */
  function queueCompensation(key: StepKey): QueuedCompensation {
    const activity = stepDefinition(key).rejectActivity;
    return { key, activity, task: context.df.callActivityWithRetry(activity, compensationRetry, activityInput) };
  }

  function* settle(task: Task): Generator<Task, StepSettlement, unknown> {
    try {
      const result = stepResultSchema.safeParse(yield task);
      if (!result.success) return { kind: 'errored', error: 'the step answered with an unreadable result' };
      return result.data.ok
        ? { kind: 'succeeded', ref: result.data.ref }
        : { kind: 'rejected', reason: result.data.reason };
    } catch (error) {
      return { kind: 'errored', error: errorSummary(error) };
    }
  }

  function* compensate(planned: readonly QueuedCompensation[]): Generator<Task, CompensationFailure[], unknown> {
    if (planned.length === 0) return [];
    yield* awaitAll(planned.map((item) => item.task));
    const failures: CompensationFailure[] = [];
    for (const item of planned) {
      try {
        yield item.task;
        publish(stepCompensated(state, item.key, now()));
      } catch (error) {
        const message = errorSummary(error);
        failures.push({ step: item.key, activity: item.activity, error: message });
        publish(stepCompensationFailed(state, item.key, message, now()));
        log(`compensation ${item.activity} failed after its retries: ${message}`);
      }
    }
    return failures;
  }

  function* recordIncidents(failures: readonly CompensationFailure[]): Generator<Task, IncidentRecords, unknown> {
    if (failures.length === 0) return { recorded: [], notRecorded: [] };
    const at = now();
    const planned = failures.map((failure) => ({
      failure,
      task: context.df.callActivityWithRetry(recordIncidentActivityName, compensationRetry, { sagaId, at, ...failure }),
    }));
    yield* awaitAll(planned.map((item) => item.task));
    const recorded: string[] = [];
    const notRecorded: StepKey[] = [];
    for (const item of planned) {
      try {
        const result = incidentResultSchema.safeParse(yield item.task);
        if (result.success) recorded.push(result.data.incidentId);
        else notRecorded.push(item.failure.step);
      } catch (error) {
        notRecorded.push(item.failure.step);
        // The last place this failure is written down: make it loud.
        if (!context.df.isReplaying) {
          context.error(
            `saga ${sagaId}: NEEDS ATTENTION – ${item.failure.activity} failed (${item.failure.error}) ` +
              `and the incident could not be recorded: ${errorSummary(error)}`,
          );
        }
      }
    }
    return { recorded, notRecorded };
  }

  /**
   * Runs the tasks together. Task.all fails at the first failed task while the others still run,
   * so its error is not the whole story: callers yield each task afterwards (finished ones return
   * at once) to learn every outcome.
   */
  function* awaitAll(tasks: readonly Task[]): Generator<Task, void, unknown> {
    try {
      yield context.df.Task.all([...tasks]);
    } catch {
      // Each task is examined by the caller.
    }
  }
}

/** What a step answered, or that the deadline came first. */
type RaceOutcome = StepSettlement | { readonly kind: 'deadline'; readonly error: string };

interface QueuedCompensation {
  readonly key: StepKey;
  readonly activity: string;
  readonly task: Task;
}

interface CompensationFailure {
  readonly step: StepKey;
  readonly activity: string;
  readonly error: string;
}

df.app.orchestration(sagaOrchestratorName, sagaOrchestrator);
