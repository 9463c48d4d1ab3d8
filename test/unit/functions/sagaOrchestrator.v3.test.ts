import { describe, expect, it } from 'vitest';
import { sagaOrchestrator } from '../../../src/functions/sagaOrchestrator';
import { BusinessReason, StepResult } from '../../../src/saga/activityContract';
import { SagaInput } from '../../../src/saga/sagaInput';
import { sagaStateSchema, SagaState } from '../../../src/saga/sagaState';
import { stepDefinition, StepKey } from '../../../src/saga/steps';
import {
  activityActions,
  describeActions,
  HistoryBuilder,
  OrchestratorState,
  replay,
} from '../../support/historyBuilder';
import { retryIntervalMs, specOrder, specPolicy } from '../../support/sagaOrchestratorInputs';

// Saga v3, replayed through the SDK's own handler: the orchestrator calls each do-activity itself,
// one plain callActivity per attempt raced against a fresh deadline timer, with its own backoff
// timer between attempts, and queues the reject tasks it runs together when it stops.

const sagaId = 'order-v3';
const T0 = new Date('2025-03-01T10:00:00.000Z');
const deadlineAt = new Date('2025-03-01T10:05:00.000Z');
const order = specOrder;
const policy = specPolicy(3);

const input: SagaInput = { order, policy };
const rejectInput = { sagaId, order };
const doInput = { sagaId, order, deadlineAt: deadlineAt.toISOString() };

function v3History(): HistoryBuilder {
  return new HistoryBuilder(T0, 'sagaOrchestrator', input, '3.0');
}

/** One attempt: the do-activity (or credit check) raced against a fresh deadline timer. */
function attemptScheduled(history: HistoryBuilder, activity: string): { task: number; deadline: number } {
  const stepInput = activity === 'checkCredit' ? rejectInput : doInput;
  return { task: history.activityScheduled(activity, stepInput), deadline: history.timerCreated(deadlineAt) };
}

function compensationsScheduled(history: HistoryBuilder, steps: StepKey[]): Record<string, number> {
  return Object.fromEntries(
    steps.map((step) => [step, history.activityScheduled(stepDefinition(step).rejectActivity, rejectInput)]),
  );
}

const ok = (ref: string): StepResult => ({ ok: true, ref });
const refused = (code: BusinessReason['code'], message: string): StepResult => ({
  ok: false,
  reason: { code, message },
});
const undone = { effect: 'undone' };

function sagaStatus(state: OrchestratorState): SagaState {
  return sagaStateSchema.parse(state.customStatus);
}

function stepStatuses(state: OrchestratorState): string[] {
  return sagaStatus(state).steps.map((step) => `${step.step}:${step.status}`);
}

/** A and the credit check succeeded; B's first attempt is scheduled. */
function throughCreditCheck(history = v3History()): { history: HistoryBuilder; b: { task: number; deadline: number } } {
  const a = attemptScheduled(history, 'doActivityA');
  history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
  const credit = attemptScheduled(history, 'checkCredit');
  history.nextEpisode().activityCompleted(credit.task, ok(`credit-${sagaId}`));
  return { history, b: attemptScheduled(history, 'doActivityB') };
}

function allStepsCompleted(): HistoryBuilder {
  const { history, b } = throughCreditCheck();
  history.nextEpisode().activityCompleted(b.task, ok(`payment-${sagaId}`));
  const c = attemptScheduled(history, 'doActivityC');
  history.nextEpisode().activityCompleted(c.task, ok(`shipment-${sagaId}`));
  return history;
}

describe('sagaOrchestrator v3 (the saga calls the do-activities itself)', () => {
  it('starts with doActivityA raced against the deadline, the deadline in the activity input', async () => {
    const state = await replay(sagaOrchestrator, v3History(), sagaId);

    expect(describeActions(state)).toEqual(['any(doActivityA, timer 10:05:00)']);
    expect(activityActions(state)[0]).toMatchObject({ actionType: 0, functionName: 'doActivityA', input: doInput });
    expect(stepStatuses(state)).toEqual(['A:running', 'B:pending', 'C:pending']);
  });

  it('runs A, the credit check, B and C as plain activities, cancels each timer, schedules no reject, and answers 200', async () => {
    const state = await replay(sagaOrchestrator, allStepsCompleted(), sagaId);

    expect(state.isDone).toBe(true);
    expect(describeActions(state)).toEqual([
      'any(doActivityA, timer 10:05:00 cancelled)',
      'any(checkCredit, timer 10:05:00 cancelled)',
      'any(doActivityB, timer 10:05:00 cancelled)',
      'any(doActivityC, timer 10:05:00 cancelled)',
    ]);
    expect(state.output).toMatchObject({
      status: 200,
      body: { outcome: 'completed', reservationId: `reservation-${sagaId}`, shipmentId: `shipment-${sagaId}` },
    });
    expect(stepStatuses(state)).toEqual(['A:completed', 'B:completed', 'C:completed']);
  });

  describe('business refusals stop the saga and are not retried', () => {
    it('at A: nothing to compensate, 400', async () => {
      const history = v3History();
      const a = attemptScheduled(history, 'doActivityA');
      history
        .nextEpisode()
        .activityCompleted(a.task, refused('insufficient-stock', 'SKU-LAMP: 1 requested, 0 available'));

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.isDone).toBe(true);
      expect(describeActions(state)).toEqual(['any(doActivityA, timer 10:05:00 cancelled)']);
      expect(state.output).toMatchObject({ status: 400, body: { step: 'A', compensated: [] } });
    });

    it('at the credit check: the queued rejectA runs alone, B is not charged', async () => {
      const history = v3History();
      const a = attemptScheduled(history, 'doActivityA');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const credit = attemptScheduled(history, 'checkCredit');
      history.nextEpisode().activityCompleted(credit.task, refused('insufficient-funds', '29900 cents requested'));

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(describeActions(state)).toEqual([
        'any(doActivityA, timer 10:05:00 cancelled)',
        'any(checkCredit, timer 10:05:00 cancelled)',
        'all(rejectActivityA)',
      ]);
      expect(activityActions(state).at(-1)).toMatchObject({
        actionType: 1,
        input: rejectInput,
        retryOptions: { maxNumberOfAttempts: 2 },
      });
      expect(sagaStatus(state).stoppedBy).toEqual({ step: 'B', cause: 'business-rejection' });
    });

    it('at B: rejectA alone, then 400 naming A as compensated', async () => {
      const { history, b } = throughCreditCheck();
      history.nextEpisode().activityCompleted(b.task, refused('amount-over-limit', 'over the limit'));
      const rejects = compensationsScheduled(history, ['A']);
      history.nextEpisode().activityCompleted(rejects.A ?? -1, undone);

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(describeActions(state).at(-1)).toBe('all(rejectActivityA)');
      expect(state.output).toMatchObject({ status: 400, body: { step: 'B', compensated: ['A'] } });
      expect(stepStatuses(state)).toEqual(['A:compensated', 'B:failed', 'C:pending']);
    });

    it('at C: rejectB and rejectA together, latest first, then 400', async () => {
      const { history, b } = throughCreditCheck();
      history.nextEpisode().activityCompleted(b.task, ok(`payment-${sagaId}`));
      const c = attemptScheduled(history, 'doActivityC');
      history.nextEpisode().activityCompleted(c.task, refused('destination-not-served', 'we do not deliver to AQ'));
      const rejects = compensationsScheduled(history, ['B', 'A']);
      history
        .nextEpisode()
        .activityCompleted(rejects.B ?? -1, undone)
        .activityCompleted(rejects.A ?? -1, undone);

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(describeActions(state).at(-1)).toBe('all(rejectActivityB, rejectActivityA)');
      expect(state.output).toMatchObject({ status: 400, body: { step: 'C', compensated: ['A', 'B'] } });
    });
  });

  describe('transient errors are retried inside the race', () => {
    it('cancels the attempt’s timer, waits out the backoff with its own timer, then races a new attempt', async () => {
      const history = v3History();
      const first = attemptScheduled(history, 'doActivityA');
      history.nextEpisode().activityFailed(first.task, 'TransientStoreError: 503 from inventory');

      const waiting = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(waiting)).toEqual(['any(doActivityA, timer 10:05:00 cancelled)', 'timer 10:00:02']);

      const backoff = history.timerCreated(new Date('2025-03-01T10:00:02.000Z'));
      history.nextEpisode().timerFired(backoff);
      const retrying = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(retrying)).toEqual([
        'any(doActivityA, timer 10:05:00 cancelled)',
        'timer 10:00:02',
        'any(doActivityA, timer 10:05:00)',
      ]);

      const second = attemptScheduled(history, 'doActivityA');
      history.nextEpisode().activityCompleted(second.task, ok(`reservation-${sagaId}`));
      const state = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(state).slice(2)).toEqual([
        'any(doActivityA, timer 10:05:00 cancelled)',
        'any(checkCredit, timer 10:05:00)',
      ]);
      expect(stepStatuses(state)).toEqual(['A:completed', 'B:running', 'C:pending']);
    });

    it('backs off by the policy’s coefficient between attempts', async () => {
      const history = v3History();
      const first = attemptScheduled(history, 'doActivityA');
      history.nextEpisode().activityFailed(first.task, 'timeout');
      const backoff1 = history.timerCreated(new Date('2025-03-01T10:00:02.000Z'));
      history.nextEpisode(1_000).timerFired(backoff1);
      const second = attemptScheduled(history, 'doActivityA');
      history.nextEpisode().activityFailed(second.task, 'timeout');

      const state = await replay(sagaOrchestrator, history, sagaId);

      // Failed at 10:00:03 after one earlier failure: 1 s × 2.
      expect(describeActions(state).at(-1)).toBe('timer 10:00:05');
    });

    it('after the last attempt the step failed: its own reject is queued with the others, 500', async () => {
      const { history, b } = throughCreditCheck();
      let attempt = b;
      for (let n = 1; n <= 3; n++) {
        history.nextEpisode().activityFailed(attempt.task, 'TransientStoreError: lost reply');
        if (n === 3) break;
        const backoff = history.timerCreated(new Date(history.now.getTime() + retryIntervalMs * 2 ** (n - 1)));
        history.nextEpisode(retryIntervalMs * 2 ** (n - 1)).timerFired(backoff);
        attempt = attemptScheduled(history, 'doActivityB');
      }
      const compensating = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(compensating).at(-1)).toBe('all(rejectActivityB, rejectActivityA)');

      const rejects = compensationsScheduled(history, ['B', 'A']);
      history
        .nextEpisode()
        .activityCompleted(rejects.B ?? -1, undone)
        .activityCompleted(rejects.A ?? -1, undone);
      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.output).toMatchObject({
        status: 500,
        body: { cause: 'step-error', step: 'B', compensated: ['A', 'B'] },
      });
      expect((state.output as { body: { error: string } }).body.error).toContain('TransientStoreError: lost reply');
    });
  });

  describe('the deadline', () => {
    it('a retry that would start at or after the deadline is the deadline path: the step is compensated too', async () => {
      const history = v3History();
      const a = attemptScheduled(history, 'doActivityA');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const credit = attemptScheduled(history, 'checkCredit');
      history.nextEpisode().activityCompleted(credit.task, ok(`credit-${sagaId}`));
      const b = attemptScheduled(history, 'doActivityB');
      // B fails half a second before the deadline: the 1 s backoff would end after it.
      history.nextEpisode(5 * 60_000 - 2_500).activityFailed(b.task, 'TransientStoreError: 429');

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(describeActions(state).slice(-2)).toEqual([
        'any(doActivityB, timer 10:05:00 cancelled)',
        'all(rejectActivityB, rejectActivityA)',
      ]);
      expect(sagaStatus(state).stoppedBy).toEqual({ step: 'B', cause: 'deadline' });
      expect(sagaStatus(state).steps[1]?.error).toContain('TransientStoreError: 429');
    });

    it('wins the race while B runs: B and A are compensated at once, B is never awaited again', async () => {
      const { history, b } = throughCreditCheck();
      history.nextEpisode(5 * 60_000).timerFired(b.deadline);

      const compensating = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(compensating).slice(-2)).toEqual([
        'any(doActivityB, timer 10:05:00)',
        'all(rejectActivityB, rejectActivityA)',
      ]);

      const rejects = compensationsScheduled(history, ['B', 'A']);
      // The attempt that lost the race answers late: its deadline check refused to commit.
      history.nextEpisode().activityCompleted(b.task, refused('deadline-passed', 'too late'));
      const late = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(late)).toEqual(describeActions(compensating));

      history
        .nextEpisode()
        .activityCompleted(rejects.B ?? -1, undone)
        .activityCompleted(rejects.A ?? -1, undone);
      const state = await replay(sagaOrchestrator, history, sagaId);
      expect(state.output).toMatchObject({
        status: 500,
        body: { cause: 'deadline', step: 'B', compensated: ['A', 'B'], needsAttention: false },
      });
    });

    it('a late attempt refused by the fence after the compensations changes neither the actions nor the answer', async () => {
      const { history, b } = throughCreditCheck();
      history.nextEpisode(5 * 60_000).timerFired(b.deadline);
      const rejects = compensationsScheduled(history, ['B', 'A']);
      history
        .nextEpisode()
        .activityCompleted(rejects.B ?? -1, { effect: 'nothing-to-undo' })
        .activityCompleted(rejects.A ?? -1, undone);
      const compensated = await replay(sagaOrchestrator, history, sagaId);

      // The charge held up on its way finally reaches Cosmos and meets B's fence.
      history.nextEpisode().activityCompleted(b.task, refused('payment-cancelled', 'already cancelled'));
      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(describeActions(state)).toEqual(describeActions(compensated));
      expect(state.output).toEqual(compensated.output);
      expect(state.output).toMatchObject({ status: 500, body: { cause: 'deadline', compensated: ['A', 'B'] } });
    });

    it('a do-activity that answers "deadline-passed" first is the deadline path, not a business refusal', async () => {
      const { history, b } = throughCreditCheck();
      history.nextEpisode().activityCompleted(b.task, refused('deadline-passed', "the saga's deadline has passed"));

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(describeActions(state).at(-1)).toBe('all(rejectActivityB, rejectActivityA)');
      expect(sagaStatus(state).stoppedBy).toEqual({ step: 'B', cause: 'deadline' });
    });

    it('during the credit check: only A is compensated (nothing of B ran)', async () => {
      const history = v3History();
      const a = attemptScheduled(history, 'doActivityA');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const credit = attemptScheduled(history, 'checkCredit');
      history.nextEpisode(5 * 60_000).timerFired(credit.deadline);

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(describeActions(state).at(-1)).toBe('all(rejectActivityA)');
      expect(sagaStatus(state).stoppedBy).toEqual({ step: 'B', cause: 'deadline' });
    });

    it('the cancelled timers of earlier attempts firing later change nothing', async () => {
      const history = v3History();
      const a = attemptScheduled(history, 'doActivityA');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const credit = attemptScheduled(history, 'checkCredit');
      history.nextEpisode().activityCompleted(credit.task, ok(`credit-${sagaId}`));
      const b = attemptScheduled(history, 'doActivityB');
      history
        .nextEpisode(5 * 60_000)
        .timerFired(a.deadline)
        .timerFired(credit.deadline)
        .timerFired(b.deadline);

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(describeActions(state)).toEqual([
        'any(doActivityA, timer 10:05:00 cancelled)',
        'any(checkCredit, timer 10:05:00 cancelled)',
        'any(doActivityB, timer 10:05:00)',
        'all(rejectActivityB, rejectActivityA)',
      ]);
    });
  });

  it('a compensation that fails after its retries becomes an incident and a 500 needing attention', async () => {
    const { history, b } = throughCreditCheck();
    history.nextEpisode().activityCompleted(b.task, ok(`payment-${sagaId}`));
    const c = attemptScheduled(history, 'doActivityC');
    history.nextEpisode().activityCompleted(c.task, refused('destination-not-served', 'we do not deliver to AQ'));
    const rejects = compensationsScheduled(history, ['B', 'A']);
    history.nextEpisode();
    history.activityFailsEveryAttempt(rejects.B ?? -1, 2, 'TransientStoreError: 503 from payments', retryIntervalMs);
    history.nextEpisode().activityCompleted(rejects.A ?? -1, undone);
    const recording = await replay(sagaOrchestrator, history, sagaId);
    expect(describeActions(recording).at(-1)).toBe('all(recordIncident)');

    const incident = history.activityScheduled('recordIncident', activityActions(recording).at(-1)?.input);
    history.nextEpisode().activityCompleted(incident, { incidentId: `incident-${sagaId}-B` });
    const state = await replay(sagaOrchestrator, history, sagaId);

    expect(state.output).toMatchObject({
      status: 500,
      body: {
        compensated: ['A'],
        compensationFailed: ['B'],
        needsAttention: true,
        incidents: [`incident-${sagaId}-B`],
      },
    });
  });
});
