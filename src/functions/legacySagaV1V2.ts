import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { z } from 'zod';
import { stepActivityInputSchema } from '../saga/activityContract';
import { compensationOrder, needsCompensation } from '../saga/compensationPlan';
import { retryPolicySchema, toRetryOptions } from '../saga/retryPolicy';
import { creditCheckActivityName, sagaStepOrchestratorName, sagaSteps, StepKey } from '../saga/steps';
import { QueuedCompensation, SagaRun } from '../orchestration/sagaRun';

// LEGACY: saga versions 1.x and 2.x, kept only while instances of those versions may still run.
// docs/saga.md's versioning recipe ("Deleting the old code") says when this file can go: then delete
// it and the one line of sagaOrchestrator.ts that calls runStepsInChildren.
//
// v1/v2 ran each step as the sagaStep sub-orchestration below, raced against the deadline. On
// Azure the extension counts a cancelled timer as finished at once when it replays the Task.any,
// so a step that retried inside the race (a callActivityWithRetry adds a timer and an attempt per
// failure) would put the extension's sequence numbers out of step with the SDK's. Inside the child
// the retries number their own tasks; the saga sees one task per step. v3 calls the do-activities
// itself instead (sagaRun.ts).

/** v1 and v2: each step is a sagaStep sub-orchestration raced against the deadline. Kept as it was. */
export function* runStepsInChildren(saga: SagaRun): Generator<Task, QueuedCompensation[], unknown> {
  const context = saga.context;
  const stepRetry = toRetryOptions(saga.policy.retry.step);
  const toCompensate: StepKey[] = [];
  for (const step of sagaSteps) {
    if (saga.pastDeadline()) {
      saga.stopBefore(step);
      break;
    }
    saga.stepStarted(step);
    if (step.key === 'B' && saga.features.creditCheckBeforeCharge) {
      // v2: a refused credit check rejects B before any money moves (nothing of B to undo).
      const credit = yield* saga.settle(
        context.df.callActivityWithRetry(creditCheckActivityName, stepRetry, saga.activityInput),
      );
      if (credit.kind !== 'succeeded') {
        saga.log(`credit check ${credit.kind}`);
        saga.stopAt(step, credit);
        break;
      }
    }
    // The step runs as a child orchestration with its retries (see above for why).
    const attempt = context.df.callSubOrchestrator(
      sagaStepOrchestratorName,
      { activity: step.doActivity, input: saga.activityInput, retry: saga.policy.retry.step },
      `${saga.sagaId}:${step.key}`,
    );
    const deadline = context.df.createTimer(saga.deadlineAt);
    const winner: unknown = yield context.df.Task.any([attempt, deadline]);
    if (winner === deadline) {
      // The step is still running (or waiting to retry) and may yet commit. Compensate it now
      // anyway: its reject leaves a fence that refuses a late commit. Waiting for it instead
      // would yield a task the extension no longer awaits, and the sequence numbers of the
      // extension and the SDK would drift apart (a nondeterminism failure on Azure).
      toCompensate.push(step.key);
      saga.stopAt(step, { kind: 'deadline', error: 'the saga deadline passed while this step was running' });
      break;
    }
    if (!deadline.isCompleted) deadline.cancel();

    const settlement = yield* saga.settle(attempt);
    const at = saga.now();
    if (needsCompensation(settlement)) toCompensate.push(step.key);
    saga.log(`step ${step.key} ${settlement.kind}`);
    if (settlement.kind !== 'succeeded') {
      saga.stopAt(step, settlement, at);
      break;
    }
    saga.stepCompleted(step, settlement.ref, at);
  }
  return compensationOrder(toCompensate).map((key) => saga.queueCompensation(key));
}

export const sagaStepInputSchema = z.strictObject({
  activity: z.enum(sagaSteps.map((step) => step.doActivity) as [string, ...string[]]),
  input: stepActivityInputSchema,
  retry: retryPolicySchema,
});
export type SagaStepInput = z.infer<typeof sagaStepInputSchema>;

/** One v1/v2 saga step with its retries, as a sub-orchestration of the saga. */
export function* sagaStep(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const parsed = sagaStepInputSchema.safeParse(context.df.getInput());
  if (!parsed.success) throw new Error(`unreadable step input: ${z.prettifyError(parsed.error)}`);
  const { activity, input, retry } = parsed.data;
  return yield context.df.callActivityWithRetry(activity, toRetryOptions(retry), input);
}

df.app.orchestration(sagaStepOrchestratorName, sagaStep);
