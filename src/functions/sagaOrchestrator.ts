import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { creditCheckActivityName, sagaOrchestratorName, sagaSteps } from '../saga/steps';
import { SagaOutcome } from '../saga/sagaOutcome';
import { QueuedCompensation, SagaRun } from '../orchestration/sagaRun';
import { runStepsInChildren } from './legacySagaV1V2';

// The order saga: A → B → C, then either done, or every queued compensation at once. The race
// against the deadline, the retries and the compensations live in orchestration/sagaRun.ts, which
// also lists the replay rules they keep.

export function* sagaOrchestrator(context: OrchestrationContext): Generator<Task, SagaOutcome, unknown> {
  const saga = SagaRun.begin(context);
  if (!(saga instanceof SagaRun)) return saga;
  // Instances keep the version they started with: v1/v2 sagas finish on their own path.
  const queued = saga.features.stepsCalledDirectly ? yield* runSteps(saga) : yield* runStepsInChildren(saga);
  return yield* saga.finish(queued);
}

/**
 * v3: call doActivityA, B and C in order; after each success queue its reject task (created, not
 * yet run); on failure the queue, latest first, is what compensates, all together.
 */
function* runSteps(saga: SagaRun): Generator<Task, QueuedCompensation[], unknown> {
  const queued: QueuedCompensation[] = [];
  for (const step of sagaSteps) {
    if (saga.pastDeadline()) {
      saga.stopBefore(step);
      break;
    }
    saga.stepStarted(step);
    if (step.key === 'B' && saga.features.creditCheckBeforeCharge) {
      const credit = yield* saga.callRacingDeadline(creditCheckActivityName, saga.activityInput);
      if (credit.kind === 'deadline') {
        // Only a read was in flight: nothing of B to undo.
        saga.stopAt(step, {
          kind: 'deadline',
          error: `the saga deadline passed during the credit check: ${credit.error}`,
        });
        break;
      }
      if (credit.kind !== 'succeeded') {
        saga.log(`credit check ${credit.kind}`);
        saga.stopAt(step, credit);
        break;
      }
    }
    const outcome = yield* saga.callRacingDeadline(step.doActivity, saga.doActivityInput);
    const at = saga.now();
    saga.log(`step ${step.key} ${outcome.kind}`);
    if (outcome.kind === 'succeeded') {
      saga.stepCompleted(step, outcome.ref, at);
      queued.push(saga.queueCompensation(step.key));
      continue;
    }
    // A refused step changed nothing; a step that errored or was overtaken by the deadline may
    // have committed (a lost reply, an attempt still running), so it is compensated too.
    if (outcome.kind !== 'rejected') queued.push(saga.queueCompensation(step.key));
    saga.stopAt(step, outcome, at);
    break;
  }
  return queued.reverse();
}

df.app.orchestration(sagaOrchestratorName, sagaOrchestrator);
