import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { z } from 'zod';
import { stepActivityInputSchema } from '../saga/activityContract';
import { retryPolicySchema, toRetryOptions } from '../saga/retryPolicy';
import { sagaStepOrchestratorName, sagaSteps } from '../saga/steps';

// v1/v2 only, kept registered while instances of those versions may still run (see docs/saga.md,
// "Changing the saga safely", for when it can go; v3 sagas call the do-activities themselves).
// One saga step with its retries, as a sub-orchestration of the saga. The saga races each step
// against its deadline timer and cancels the timer when the step wins. On Azure the extension
// counts a cancelled timer as finished at once when it replays the Task.any, so a step that
// retried inside the race (a callActivityWithRetry adds a timer and an attempt per failure) would
// put the extension's sequence numbers out of step with the SDK's. Inside this child the retries
// number their own tasks; the saga sees one task per step.

export const sagaStepInputSchema = z.strictObject({
  activity: z.enum(sagaSteps.map((step) => step.doActivity) as [string, ...string[]]),
  input: stepActivityInputSchema,
  retry: retryPolicySchema,
});
export type SagaStepInput = z.infer<typeof sagaStepInputSchema>;

export function* sagaStep(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const parsed = sagaStepInputSchema.safeParse(context.df.getInput());
  if (!parsed.success) throw new Error(`unreadable step input: ${z.prettifyError(parsed.error)}`);
  const { activity, input, retry } = parsed.data;
  return yield context.df.callActivityWithRetry(activity, toRetryOptions(retry), input);
}

df.app.orchestration(sagaStepOrchestratorName, sagaStep);
