import { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import { z } from 'zod';
import { incidentResultSchema, StepActivityInput, stepResultSchema } from '../saga/activityContract';
import { StepSettlement } from '../saga/compensationPlan';
import { errorSummary } from '../saga/errorSummary';
import { Order } from '../saga/orderInput';
import { retryDelayMs, toRetryOptions } from '../saga/retryPolicy';
import { sagaInputSchema } from '../saga/sagaInput';
import {
  completedOutcome,
  IncidentRecords,
  invalidInputOutcome,
  SagaOutcome,
  stoppedOutcome,
} from '../saga/sagaOutcome';
import { SagaPolicy } from '../saga/sagaSettings';
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
  recordIncidentActivityName,
  SagaStepDefinition,
  sagaSteps,
  sagaVersionFeatures,
  StepKey,
  stepDefinition,
} from '../saga/steps';

// The machinery under the order saga: the saga's state as custom status, a step attempt raced
// against the deadline with its retries, the queued compensations run together, and the incidents
// of those that still fail. The orchestrator (functions/sagaOrchestrator.ts) reads as the design
// card: call the steps in order, queue each reject, run the queue on failure.
//
// Replay rules this code keeps (the SDK re-runs the orchestrator from the start on every event):
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
//   SDK. A plain callActivity races per attempt and the backoff waits with its own timer, outside
//   any race; v1/v2 ran each step as a sub-orchestration (legacySagaV1V2.ts) for the same reason.

/** What a step answered, or that the deadline came first. */
export type RaceOutcome = StepSettlement | { readonly kind: 'deadline'; readonly error: string };

/** A step's reject task, created when the step succeeded and yielded only if the saga compensates. */
export interface QueuedCompensation {
  readonly key: StepKey;
  readonly activity: string;
  readonly task: Task;
}

interface CompensationFailure {
  readonly step: StepKey;
  readonly activity: string;
  readonly error: string;
}

type SagaGenerator<T> = Generator<Task, T, unknown>;

/** One run of the saga over one orchestration context: its input, deadline and state. */
export class SagaRun {
  readonly sagaId: string;
  /** The version this instance started with: a v1 saga keeps the v1 path after v2 is deployed. */
  readonly features: ReturnType<typeof sagaVersionFeatures>;
  readonly deadlineAt: Date;
  /** What the reject and check activities get. */
  readonly activityInput: StepActivityInput;
  /** What the do-activities get: the deadline travels with them, and they commit nothing at or after it. */
  readonly doActivityInput: StepActivityInput;
  readonly compensationRetry: RetryOptions;
  private state: SagaState;

  private constructor(
    readonly context: OrchestrationContext,
    readonly order: Order,
    readonly policy: SagaPolicy,
  ) {
    this.sagaId = context.df.instanceId;
    this.features = sagaVersionFeatures(context.df.version ?? '');
    this.deadlineAt = new Date(context.df.currentUtcDateTime.getTime() + policy.deadlineMs);
    this.activityInput = { sagaId: this.sagaId, order };
    this.doActivityInput = { ...this.activityInput, deadlineAt: this.deadlineAt.toISOString() };
    this.compensationRetry = toRetryOptions(policy.retry.compensation);
    this.state = newSagaState(this.sagaId, sagaSteps, this.now(), this.deadlineAt.toISOString());
    this.publish(this.state);
  }

  /** The run, or the outcome of an input it cannot read (nothing done). */
  static begin(context: OrchestrationContext): SagaRun | SagaOutcome {
    const input = sagaInputSchema.safeParse(context.df.getInput());
    if (!input.success) {
      if (!context.df.isReplaying) context.error(`saga ${context.df.instanceId}: unreadable input, nothing done`);
      return invalidInputOutcome(context.df.instanceId, `unreadable saga input: ${z.prettifyError(input.error)}`);
    }
    return new SagaRun(context, input.data.order, input.data.policy);
  }

  get stopped(): boolean {
    return this.state.stoppedBy !== undefined;
  }

  now(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  pastDeadline(): boolean {
    return this.context.df.currentUtcDateTime.getTime() >= this.deadlineAt.getTime();
  }

  log(message: string): void {
    if (!this.context.df.isReplaying) this.context.log(`saga ${this.sagaId}: ${message}`);
  }

  // --- the saga's state, published as the orchestration's custom status ----------------------

  stepStarted(step: SagaStepDefinition): void {
    this.publish(stepStarted(this.state, step.key, this.now()));
  }

  stepCompleted(step: SagaStepDefinition, ref: string, at = this.now()): void {
    this.publish(stepCompleted(this.state, step.key, ref, at));
  }

  /** The deadline passed before the step started: nothing of it to undo. */
  stopBefore(step: SagaStepDefinition): void {
    this.publish(sagaStopped(this.state, step.key, 'deadline', this.now()));
  }

  /** The step did not succeed: the saga stops there, for the reason its outcome gives. */
  stopAt(step: SagaStepDefinition, outcome: Exclude<RaceOutcome, { kind: 'succeeded' }>, at = this.now()): void {
    if (outcome.kind === 'deadline') {
      this.log(`step ${step.key}: ${outcome.error}`);
      this.publish(sagaStopped(stepErrored(this.state, step.key, outcome.error, at), step.key, 'deadline', at));
    } else if (outcome.kind === 'rejected') {
      this.publish(
        sagaStopped(stepRejected(this.state, step.key, outcome.reason, at), step.key, 'business-rejection', at),
      );
    } else {
      this.publish(sagaStopped(stepErrored(this.state, step.key, outcome.error, at), step.key, 'step-error', at));
    }
  }

  // --- one step attempt after another, raced against the deadline -----------------------------

  /**
   * One step: attempts of a plain callActivity, each raced against a fresh deadline timer that
   * is cancelled when the activity answers first. A thrown error waits out the policy's backoff
   * with its own timer (outside any race) and tries again, up to the step's attempts; a retry that
   * would start at or after the deadline is the deadline path, as is a timer that wins.
   */
  *callRacingDeadline(activity: string, input: StepActivityInput): SagaGenerator<RaceOutcome> {
    const { df } = this.context;
    for (let attempt = 1; ; attempt++) {
      if (this.pastDeadline()) return { kind: 'deadline', error: 'the saga deadline passed before the next attempt' };
      const call = df.callActivity(activity, input);
      const deadline = df.createTimer(this.deadlineAt);
      const winner: unknown = yield df.Task.any([call, deadline]);
      if (winner === deadline) {
        // The attempt may still commit before its own deadline check: it is compensated with the
        // rest, and never yielded again (the extension stopped awaiting it).
        this.log(`${activity} attempt ${attempt} still running at the deadline`);
        return { kind: 'deadline', error: 'the saga deadline passed while this step was running' };
      }
      if (!deadline.isCompleted) deadline.cancel();
      const answer = yield* this.settleAttempt(call);
      if (answer.kind === 'rejected' && answer.reason.code === 'deadline-passed') {
        return { kind: 'deadline', error: answer.reason.message };
      }
      if (answer.kind !== 'thrown') return answer;
      if (attempt >= this.policy.retry.step.maxAttempts) return { kind: 'errored', error: answer.error };
      const retryAt = new Date(df.currentUtcDateTime.getTime() + retryDelayMs(this.policy.retry.step, attempt));
      if (retryAt.getTime() >= this.deadlineAt.getTime()) {
        return {
          kind: 'deadline',
          error: `the next attempt would start after the saga deadline (attempt ${attempt} failed: ${answer.error})`,
        };
      }
      this.log(`${activity} attempt ${attempt} failed, next at ${retryAt.toISOString()}: ${answer.error}`);
      yield df.createTimer(retryAt);
    }
  }

  private *settleAttempt(task: Task): SagaGenerator<StepSettlement | { kind: 'thrown'; error: string }> {
    let answer: unknown;
    try {
      answer = yield task;
    } catch (error) {
      return { kind: 'thrown', error: errorSummary(error) };
    }
    // An unreadable answer is a bug or a version mismatch: trying again would not change it.
    return readStepAnswer(answer);
  }

  /** A task whose failure is final (a v1/v2 step child, a credit check with its own retries). */
  *settle(task: Task): SagaGenerator<StepSettlement> {
    try {
      return readStepAnswer(yield task);
    } catch (error) {
      return { kind: 'errored', error: errorSummary(error) };
    }
  }

  // --- compensation ------------------------------------------------------------------------------

  /** The step's reject task, created now and yielded only if the saga has to compensate. */
  queueCompensation(key: StepKey): QueuedCompensation {
    const activity = stepDefinition(key).rejectActivity;
    return {
      key,
      activity,
      task: this.context.df.callActivityWithRetry(activity, this.compensationRetry, this.activityInput),
    };
  }

  /**
   * Ends the run: completed when no step stopped it, else the queued compensations together, then
   * an incident for each that still failed, and the outcome that says so.
   */
  *finish(queued: readonly QueuedCompensation[]): SagaGenerator<SagaOutcome> {
    if (!this.stopped) {
      this.publish(sagaCompleted(this.state, this.now()));
      this.log('completed');
      return completedOutcome(this.state, this.order);
    }
    const failures = yield* this.compensate(queued);
    const incidents = yield* this.recordIncidents(failures);
    this.publish(sagaFinishedCompensating(this.state, this.now()));
    this.log(`${this.state.phase}${this.state.needsAttention ? ', needs attention' : ''}`);
    return stoppedOutcome(this.state, incidents);
  }

  private *compensate(planned: readonly QueuedCompensation[]): SagaGenerator<CompensationFailure[]> {
    if (planned.length === 0) return [];
    yield* this.awaitAll(planned.map((item) => item.task));
    const failures: CompensationFailure[] = [];
    for (const item of planned) {
      try {
        yield item.task;
        this.publish(stepCompensated(this.state, item.key, this.now()));
      } catch (error) {
        const message = errorSummary(error);
        failures.push({ step: item.key, activity: item.activity, error: message });
        this.publish(stepCompensationFailed(this.state, item.key, message, this.now()));
        this.log(`compensation ${item.activity} failed after its retries: ${message}`);
      }
    }
    return failures;
  }

  private *recordIncidents(failures: readonly CompensationFailure[]): SagaGenerator<IncidentRecords> {
    if (failures.length === 0) return { recorded: [], notRecorded: [] };
    const at = this.now();
    const planned = failures.map((failure) => ({
      failure,
      task: this.context.df.callActivityWithRetry(recordIncidentActivityName, this.compensationRetry, {
        sagaId: this.sagaId,
        at,
        ...failure,
      }),
    }));
    yield* this.awaitAll(planned.map((item) => item.task));
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
        if (!this.context.df.isReplaying) {
          this.context.error(
            `saga ${this.sagaId}: NEEDS ATTENTION – ${item.failure.activity} failed (${item.failure.error}) ` +
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
  private *awaitAll(tasks: readonly Task[]): SagaGenerator<void> {
    try {
      yield this.context.df.Task.all([...tasks]);
    } catch {
      // Each task is examined by the caller.
    }
  }

  private publish(next: SagaState): void {
    this.state = next;
    this.context.df.setCustomStatus(next);
  }
}

function readStepAnswer(answer: unknown): StepSettlement {
  const result = stepResultSchema.safeParse(answer);
  if (!result.success) return { kind: 'errored', error: 'the step answered with an unreadable result' };
  return result.data.ok
    ? { kind: 'succeeded', ref: result.data.ref }
    : { kind: 'rejected', reason: result.data.reason };
}
