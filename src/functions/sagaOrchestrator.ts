import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { z } from 'zod';
import { incidentResultSchema, StepActivityInput, stepResultSchema } from '../saga/activityContract';
import { compensationOrder, needsCompensation, StepSettlement } from '../saga/compensationPlan';
import { errorSummary } from '../saga/errorSummary';
import { toRetryOptions } from '../saga/retryPolicy';
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
} from '../saga/steps';

// The order saga: A → B → C, then either done, or every queued compensation at once.
//
// Replay rules this code keeps (the SDK re-runs it from the start on every event):
// - time only from context.df.currentUtcDateTime; settings only from the input;
// - a task is put into at most one Task.any/Task.all. The extension sees every child of a new
//   compound task as new work, so reusing one deadline timer in several Task.any calls would
//   schedule it again. Each step therefore races its own timer, all set to the same deadline.
// - compound tasks are built only from tasks that have not finished yet;
// - a task that lost a Task.any is never yielded on its own afterwards: the extension stopped
//   awaiting it, so what the code yields next must not wait for it (see the deadline below);
// - nothing raced against a timer that is later cancelled may schedule tasks of its own while
//   it runs: each step therefore runs as a sub-orchestration (sagaStep.ts).

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

  const toCompensate: StepKey[] = [];
  for (const step of sagaSteps) {
    if (context.df.currentUtcDateTime.getTime() >= deadlineAt.getTime()) {
      publish(sagaStopped(state, step.key, 'deadline', now()));
      break;
    }
    publish(stepStarted(state, step.key, now()));
    if (step.key === 'B' && features.creditCheckBeforeCharge) {
      // v2: a refused credit check rejects B before any money moves (nothing of B to undo).
      const credit = yield* settle(context.df.callActivityWithRetry(creditCheckActivityName, stepRetry, activityInput));
      if (credit.kind !== 'succeeded') {
        const at = now();
        log(`credit check ${credit.kind}`);
        if (credit.kind === 'rejected')
          publish(sagaStopped(stepRejected(state, step.key, credit.reason, at), step.key, 'business-rejection', at));
        else publish(sagaStopped(stepErrored(state, step.key, credit.error, at), step.key, 'step-error', at));
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
      const at = now();
      toCompensate.push(step.key);
      log(`step ${step.key} still running at the deadline`);
      publish(
        sagaStopped(
          stepErrored(state, step.key, 'the saga deadline passed while this step was running', at),
          step.key,
          'deadline',
          at,
        ),
      );
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

  function* compensate(steps: readonly StepKey[]): Generator<Task, CompensationFailure[], unknown> {
    const planned = compensationOrder(steps).map((key) => {
      const activity = stepDefinition(key).rejectActivity;
      return { key, activity, task: context.df.callActivityWithRetry(activity, compensationRetry, activityInput) };
    });
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

interface CompensationFailure {
  readonly step: StepKey;
  readonly activity: string;
  readonly error: string;
}

df.app.orchestration(sagaOrchestratorName, sagaOrchestrator);
