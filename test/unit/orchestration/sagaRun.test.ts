import { OrchestrationContext, Task } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { RaceOutcome, SagaRun } from '../../../src/orchestration/sagaRun';
import { StepResult } from '../../../src/saga/activityContract';
import { SagaInput } from '../../../src/saga/sagaInput';
import { SagaOutcome } from '../../../src/saga/sagaOutcome';
import { sagaStateSchema } from '../../../src/saga/sagaState';
import { sagaSteps, stepDefinition } from '../../../src/saga/steps';
import { activityActions, describeActions, HistoryBuilder, replay } from '../../support/historyBuilder';
import { specOrder, specPolicy } from '../../support/sagaOrchestratorInputs';

// The machinery under the saga, replayed through the SDK's own handler with small orchestrators
// that use one part of it each: a step raced against the deadline with its retries, and the end of
// a run (completed, or the queued compensations together and the incidents of those that fail).

const sagaId = 'order-run';
const T0 = new Date('2025-03-01T10:00:00.000Z');
const deadlineAt = new Date('2025-03-01T10:05:00.000Z');
const input: SagaInput = { order: specOrder, policy: specPolicy(3) };
const doInput = { sagaId, order: specOrder, deadlineAt: deadlineAt.toISOString() };
const rejectInput = { sagaId, order: specOrder };
const ok = (ref: string): StepResult => ({ ok: true, ref });

function begun(context: OrchestrationContext): SagaRun {
  const saga = SagaRun.begin(context);
  if (!(saga instanceof SagaRun)) throw new Error('the spec input is readable');
  return saga;
}

/** Races doActivityA once through callRacingDeadline and returns what it settled as. */
function* raceA(context: OrchestrationContext): Generator<Task, RaceOutcome, unknown> {
  const saga = begun(context);
  return yield* saga.callRacingDeadline('doActivityA', saga.doActivityInput);
}

function history(): HistoryBuilder {
  return new HistoryBuilder(T0, 'sagaOrchestrator', input, '3.0');
}

function attempt(builder: HistoryBuilder): { task: number; deadline: number } {
  return { task: builder.activityScheduled('doActivityA', doInput), deadline: builder.timerCreated(deadlineAt) };
}

describe('a step raced against the saga deadline', () => {
  it('settles as the activity’s answer when it comes first, and cancels the deadline timer', async () => {
    const builder = history();
    const first = attempt(builder);
    builder.nextEpisode().activityCompleted(first.task, ok('reservation-1'));

    const state = await replay(raceA, builder, sagaId);

    expect(state.output).toEqual({ kind: 'succeeded', ref: 'reservation-1' });
    expect(describeActions(state)).toEqual(['any(doActivityA, timer 10:05:00 cancelled)']);
  });

  it('settles as the deadline when the timer fires first, and never waits for the attempt again', async () => {
    const builder = history();
    const first = attempt(builder);
    builder.nextEpisode(300_000).timerFired(first.deadline);

    const state = await replay(raceA, builder, sagaId);

    expect(state.output).toEqual({
      kind: 'deadline',
      error: 'the saga deadline passed while this step was running',
    });
    expect(describeActions(state)).toEqual(['any(doActivityA, timer 10:05:00)']);
  });

  it('waits out the backoff with its own timer after a thrown error, outside any race, then races a new attempt', async () => {
    const builder = history();
    const first = attempt(builder);
    builder.nextEpisode().activityFailed(first.task, 'TransientStoreError: 503');
    const backoff = builder.timerCreated(new Date('2025-03-01T10:00:02.000Z'));
    builder.nextEpisode().timerFired(backoff);
    const second = attempt(builder);
    builder.nextEpisode().activityCompleted(second.task, ok('reservation-2'));

    const state = await replay(raceA, builder, sagaId);

    expect(describeActions(state)).toEqual([
      'any(doActivityA, timer 10:05:00 cancelled)',
      'timer 10:00:02',
      'any(doActivityA, timer 10:05:00 cancelled)',
    ]);
    expect(state.output).toEqual({ kind: 'succeeded', ref: 'reservation-2' });
  });

  it('errors after the policy’s last attempt', async () => {
    const builder = history();
    for (const [index, retryAt] of ['10:00:02', '10:00:05'].entries()) {
      const failing = attempt(builder);
      builder.nextEpisode().activityFailed(failing.task, `TransientStoreError: attempt ${index + 1}`);
      builder.nextEpisode().timerFired(builder.timerCreated(new Date(`2025-03-01T${retryAt}.000Z`)));
    }
    const last = attempt(builder);
    builder.nextEpisode().activityFailed(last.task, 'TransientStoreError: attempt 3');

    const state = await replay(raceA, builder, sagaId);

    expect(state.output).toMatchObject({ kind: 'errored', error: expect.stringContaining('attempt 3') as unknown });
    expect(activityActions(state).map((action) => action.functionName)).toEqual([
      'doActivityA',
      'doActivityA',
      'doActivityA',
    ]);
  });

  it('takes the deadline path when the next attempt would start after the deadline', async () => {
    const late = new HistoryBuilder(
      T0,
      'sagaOrchestrator',
      { ...input, policy: { ...input.policy, deadlineMs: 1_000 } },
      '3.0',
    );
    const first = {
      task: late.activityScheduled('doActivityA', { ...doInput, deadlineAt: '2025-03-01T10:00:01.000Z' }),
      deadline: late.timerCreated(new Date('2025-03-01T10:00:01.000Z')),
    };
    late.nextEpisode(100).activityFailed(first.task, 'TransientStoreError: 503');

    const state = await replay(raceA, late, sagaId);

    expect(state.output).toMatchObject({
      kind: 'deadline',
      error: expect.stringMatching(/^the next attempt would start after the saga deadline/) as unknown,
    });
    expect(describeActions(state)).toEqual(['any(doActivityA, timer 10:00:01 cancelled)']);
  });

  it('takes the deadline path when the do-activity refused to commit after the deadline', async () => {
    const builder = history();
    const first = attempt(builder);
    builder.nextEpisode().activityCompleted(first.task, {
      ok: false,
      reason: { code: 'deadline-passed', message: 'the saga deadline passed before the reservation' },
    });

    const state = await replay(raceA, builder, sagaId);

    expect(state.output).toEqual({ kind: 'deadline', error: 'the saga deadline passed before the reservation' });
  });
});

/** A run stopped at C after A and B succeeded: their rejects are queued, latest first. */
function* stoppedAtC(context: OrchestrationContext): Generator<Task, SagaOutcome, unknown> {
  const saga = begun(context);
  const queued = [saga.queueCompensation('B'), saga.queueCompensation('A')];
  saga.stopAt(stepDefinition('C'), { kind: 'errored', error: 'carrier down' });
  return yield* saga.finish(queued);
}

/** The run stopped at C: rejectB fails on every attempt while rejectA undoes A. */
function rejectBFailsAfterItsRetries(): HistoryBuilder {
  const builder = history();
  const b = builder.activityScheduled('rejectActivityB', rejectInput);
  const a = builder.activityScheduled('rejectActivityA', rejectInput);
  builder.nextEpisode();
  builder.activityFailsEveryAttempt(b, 2, 'payments down', 1_000);
  builder.activityCompleted(a, { effect: 'undone' });
  return builder;
}

describe('the end of a run', () => {
  it('completes without scheduling anything when no step stopped it', async () => {
    function* allDone(context: OrchestrationContext): Generator<Task, SagaOutcome, unknown> {
      const saga = begun(context);
      for (const step of sagaSteps) saga.stepCompleted(step, `ref-${step.key}`);
      return yield* saga.finish([]);
    }
    const state = await replay(allDone, history(), sagaId);
    expect(state.isDone).toBe(true);
    expect(describeActions(state)).toEqual([]);
    expect(state.output).toMatchObject({ status: 200 });
  });

  it('runs the queued compensations together, with the compensation retry policy', async () => {
    const state = await replay(stoppedAtC, history(), sagaId);

    expect(describeActions(state)).toEqual(['all(rejectActivityB, rejectActivityA)']);
    expect(activityActions(state)).toEqual([
      expect.objectContaining({
        input: rejectInput,
        retryOptions: expect.objectContaining({ maxNumberOfAttempts: 2 }) as unknown,
      }),
      expect.objectContaining({ input: rejectInput }),
    ]);
  });

  it('learns every compensation’s outcome though Task.all fails at the first, and records an incident for each failure', async () => {
    const builder = rejectBFailsAfterItsRetries();

    const recording = await replay(stoppedAtC, builder, sagaId);
    expect(describeActions(recording).at(-1)).toBe('all(recordIncident)');
    expect(sagaStateSchema.parse(recording.customStatus).steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'A:compensated',
      'B:compensation-failed',
      'C:failed',
    ]);

    const incident = activityActions(recording).at(-1);
    expect(incident?.input).toMatchObject({ sagaId, step: 'B', activity: 'rejectActivityB' });
  });

  it('ends needing attention, naming the steps whose incident could not be recorded either', async () => {
    const builder = rejectBFailsAfterItsRetries();
    const incident = builder.activityScheduled('recordIncident', undefined);
    builder.nextEpisode();
    builder.activityFailsEveryAttempt(incident, 2, 'cosmos down', 1_000);

    const state = await replay(stoppedAtC, builder, sagaId);

    expect(state.isDone).toBe(true);
    expect(state.output).toMatchObject({
      status: 500,
      body: { compensated: ['A'], compensationFailed: ['B'], needsAttention: true, incidentsNotRecorded: ['B'] },
    });
  });
});

describe('a run that cannot read its input', () => {
  it('does nothing and answers with the reason', async () => {
    function* unreadable(context: OrchestrationContext): Generator<Task, SagaOutcome, unknown> {
      const saga = SagaRun.begin(context);
      if (saga instanceof SagaRun) throw new Error('the input is unreadable');
      return saga;
      yield* [];
    }
    const state = await replay(
      unreadable,
      new HistoryBuilder(T0, 'sagaOrchestrator', { order: 'nope' }, '3.0'),
      sagaId,
    );
    expect(describeActions(state)).toEqual([]);
    expect(state.output).toMatchObject({ status: 500, body: { cause: 'invalid-input' } });
  });
});
