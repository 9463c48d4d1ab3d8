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

// The saga's orchestration, replayed through the SDK's own handler over hand-written histories.
// Each test reads as: what happened so far (the history) → what the orchestrator does next (the
// actions it returns), what it reports (custom status) and how it ends (output).

const sagaId = 'order-123';
const T0 = new Date('2025-03-01T10:00:00.000Z');
const deadlineAt = new Date('2025-03-01T10:05:00.000Z');
const order = specOrder;
const policy = specPolicy(2);

const input: SagaInput = { order, policy };
const activityInput = { sagaId, order };

function sagaHistory(): HistoryBuilder {
  return new HistoryBuilder(T0, 'sagaOrchestrator', input);
}

/** The orchestrator started a step: its step runner (a sub-orchestration), raced against a fresh deadline timer. */
function stepScheduled(history: HistoryBuilder, step: StepKey): { task: number; deadline: number } {
  return {
    task: history.subOrchestrationScheduled('sagaStep', `${sagaId}:${step}`, {
      activity: stepDefinition(step).doActivity,
      input: activityInput,
      retry: policy.retry.step,
    }),
    deadline: history.timerCreated(deadlineAt),
  };
}

/** The orchestrator scheduled these compensations together; returns their task ids by step. */
function compensationsScheduled(history: HistoryBuilder, steps: StepKey[]): Record<string, number> {
  return Object.fromEntries(
    steps.map((step) => [step, history.activityScheduled(stepDefinition(step).rejectActivity, activityInput)]),
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

/** A through C completed; returns the history positioned after C's completion. */
function allStepsCompleted(): HistoryBuilder {
  const history = sagaHistory();
  const a = stepScheduled(history, 'A');
  history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
  const b = stepScheduled(history, 'B');
  history.nextEpisode().activityCompleted(b.task, ok(`payment-${sagaId}`));
  const c = stepScheduled(history, 'C');
  history.nextEpisode().activityCompleted(c.task, ok(`shipment-${sagaId}`));
  return history;
}

describe('sagaOrchestrator', () => {
  describe('when it starts', () => {
    it('runs step A in its step runner with the step retry policy, raced against the deadline', async () => {
      const state = await replay(sagaOrchestrator, sagaHistory(), sagaId);

      expect(state.isDone).toBe(false);
      expect(describeActions(state)).toEqual(['any(sagaStep(doActivityA), timer 10:05:00)']);
      const [doA] = activityActions(state);
      expect(doA?.functionName).toBe('sagaStep');
      expect(doA?.instanceId).toBe(`${sagaId}:A`);
      expect(doA?.input).toEqual({ activity: 'doActivityA', input: activityInput, retry: policy.retry.step });
      expect(stepStatuses(state)).toEqual(['A:running', 'B:pending', 'C:pending']);
      expect(sagaStatus(state)).toMatchObject({
        sagaId,
        phase: 'running',
        startedAt: T0.toISOString(),
        deadlineAt: deadlineAt.toISOString(),
      });
    });

    it('answers 500 without doing anything when its input is unreadable', async () => {
      const history = new HistoryBuilder(T0, 'sagaOrchestrator', { order: { customerId: 42 } });
      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.isDone).toBe(true);
      expect(describeActions(state)).toEqual([]);
      expect(state.output).toMatchObject({ status: 500, body: { outcome: 'failed', cause: 'invalid-input' } });
    });
  });

  describe('happy path', () => {
    it('runs A, B, C in order, cancels each deadline timer and answers 200 with the ids', async () => {
      const state = await replay(sagaOrchestrator, allStepsCompleted(), sagaId);

      expect(state.isDone).toBe(true);
      expect(describeActions(state)).toEqual([
        'any(sagaStep(doActivityA), timer 10:05:00 cancelled)',
        'any(sagaStep(doActivityB), timer 10:05:00 cancelled)',
        'any(sagaStep(doActivityC), timer 10:05:00 cancelled)',
      ]);
      expect(state.output).toEqual({
        status: 200,
        body: {
          outcome: 'completed',
          orderId: sagaId,
          reservationId: `reservation-${sagaId}`,
          paymentId: `payment-${sagaId}`,
          shipmentId: `shipment-${sagaId}`,
          amountCents: 4_999,
          currency: 'EUR',
        },
      });
      expect(stepStatuses(state)).toEqual(['A:completed', 'B:completed', 'C:completed']);
    });

    it('races each step against a timer of its own (a task reused in a new Task.any is scheduled again)', async () => {
      const state = await replay(sagaOrchestrator, allStepsCompleted(), sagaId);
      const timers = (state.actions[0] ?? []).map((action) => action.compoundActions?.[1]);

      expect(new Set(timers).size).toBe(3);
    });

    it('records step times from the replay clock', async () => {
      const state = await replay(sagaOrchestrator, allStepsCompleted(), sagaId);
      const [a, b, c] = sagaStatus(state).steps;

      expect(a).toMatchObject({ startedAt: '2025-03-01T10:00:00.000Z', completedAt: '2025-03-01T10:00:01.000Z' });
      expect(b).toMatchObject({ startedAt: '2025-03-01T10:00:01.000Z', completedAt: '2025-03-01T10:00:02.000Z' });
      expect(c).toMatchObject({ startedAt: '2025-03-01T10:00:02.000Z', completedAt: '2025-03-01T10:00:03.000Z' });
      expect(sagaStatus(state).phase).toBe('completed');
    });

    it('gives the same answer on every replay of the same history', async () => {
      const history = allStepsCompleted();
      const first = await replay(sagaOrchestrator, history, sagaId);
      const second = await replay(sagaOrchestrator, history, sagaId);

      expect(second.output).toEqual(first.output);
      expect(second.customStatus).toEqual(first.customStatus);
      expect(describeActions(second)).toEqual(describeActions(first));
    });
  });

  describe('business failures', () => {
    it('at A: nothing to compensate, answers 400 without scheduling any compensation', async () => {
      const history = sagaHistory();
      const a = stepScheduled(history, 'A');
      history
        .nextEpisode()
        .activityCompleted(a.task, refused('insufficient-stock', 'SKU-LAMP: 1 requested, 0 available'));

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.isDone).toBe(true);
      expect(describeActions(state)).toEqual(['any(sagaStep(doActivityA), timer 10:05:00 cancelled)']);
      expect(state.output).toEqual({
        status: 400,
        body: {
          outcome: 'rejected',
          orderId: sagaId,
          step: 'A',
          reason: { code: 'insufficient-stock', message: 'SKU-LAMP: 1 requested, 0 available' },
          compensated: [],
        },
      });
      expect(stepStatuses(state)).toEqual(['A:failed', 'B:pending', 'C:pending']);
    });

    it('at B: schedules rejectA alone in one Task.all, then answers 400 naming what was compensated', async () => {
      const history = sagaHistory();
      const a = stepScheduled(history, 'A');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const b = stepScheduled(history, 'B');
      history
        .nextEpisode()
        .activityCompleted(b.task, refused('insufficient-funds', '29900 cents requested, 1000 cents available'));

      const compensating = await replay(sagaOrchestrator, history, sagaId);
      expect(compensating.isDone).toBe(false);
      expect(describeActions(compensating).at(-1)).toBe('all(rejectActivityA)');
      expect(activityActions(compensating).at(-1)).toMatchObject({
        functionName: 'rejectActivityA',
        input: activityInput,
        retryOptions: { maxNumberOfAttempts: 2 },
      });
      expect(sagaStatus(compensating)).toMatchObject({
        phase: 'compensating',
        stoppedBy: { step: 'B', cause: 'business-rejection' },
      });

      const rejects = compensationsScheduled(history, ['A']);
      history.nextEpisode().activityCompleted(rejects.A ?? -1, undone);
      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.isDone).toBe(true);
      expect(state.output).toEqual({
        status: 400,
        body: {
          outcome: 'rejected',
          orderId: sagaId,
          step: 'B',
          reason: { code: 'insufficient-funds', message: '29900 cents requested, 1000 cents available' },
          compensated: ['A'],
        },
      });
      expect(stepStatuses(state)).toEqual(['A:compensated', 'B:failed', 'C:pending']);
      expect(sagaStatus(state).phase).toBe('rejected');
    });

    it('at C: schedules rejectB and rejectA together in one Task.all', async () => {
      const history = sagaHistory();
      const a = stepScheduled(history, 'A');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const b = stepScheduled(history, 'B');
      history.nextEpisode().activityCompleted(b.task, ok(`payment-${sagaId}`));
      const c = stepScheduled(history, 'C');
      history.nextEpisode().activityCompleted(c.task, refused('destination-not-served', 'we do not deliver to AQ'));

      const compensating = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(compensating)).toEqual([
        'any(sagaStep(doActivityA), timer 10:05:00 cancelled)',
        'any(sagaStep(doActivityB), timer 10:05:00 cancelled)',
        'any(sagaStep(doActivityC), timer 10:05:00 cancelled)',
        'all(rejectActivityB, rejectActivityA)',
      ]);

      const rejects = compensationsScheduled(history, ['B', 'A']);
      history
        .nextEpisode()
        .activityCompleted(rejects.B ?? -1, undone)
        .activityCompleted(rejects.A ?? -1, undone);
      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.output).toMatchObject({
        status: 400,
        body: { step: 'C', reason: { code: 'destination-not-served' }, compensated: ['A', 'B'] },
      });
      expect(stepStatuses(state)).toEqual(['A:compensated', 'B:compensated', 'C:failed']);
    });
  });

  describe('a step that fails after its retries', () => {
    it('may have committed, so its own reject is queued with the others, and the saga answers 500', async () => {
      const history = sagaHistory();
      const a = stepScheduled(history, 'A');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const b = stepScheduled(history, 'B');
      history.nextEpisode();
      // The step runner retried doActivityB and gave up: the saga sees the child fail once.
      history.activityFailsEveryAttempt(
        b.task,
        2,
        "Activity function 'doActivityB' failed: TransientStoreError: lost reply",
        retryIntervalMs,
      );

      const compensating = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(compensating).at(-1)).toBe('all(rejectActivityB, rejectActivityA)');
      expect(sagaStatus(compensating)).toMatchObject({
        phase: 'compensating',
        stoppedBy: { step: 'B', cause: 'step-error' },
      });

      const rejects = compensationsScheduled(history, ['B', 'A']);
      history
        .nextEpisode()
        .activityCompleted(rejects.B ?? -1, undone)
        .activityCompleted(rejects.A ?? -1, undone);
      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.isDone).toBe(true);
      expect(state.output).toEqual({
        status: 500,
        body: {
          outcome: 'failed',
          orderId: sagaId,
          cause: 'step-error',
          step: 'B',
          error:
            "Orchestrator function 'sagaStep' failed: Activity function 'doActivityB' failed: TransientStoreError: lost reply",
          compensated: ['A', 'B'],
          compensationFailed: [],
          needsAttention: false,
          incidents: [],
          incidentsNotRecorded: [],
        },
      });
      expect(stepStatuses(state)).toEqual(['A:compensated', 'B:compensated', 'C:pending']);
      expect(sagaStatus(state).steps[1]?.error).toBe(
        "Orchestrator function 'sagaStep' failed: Activity function 'doActivityB' failed: TransientStoreError: lost reply",
      );
    });

    it('is retried inside its step runner: the saga only sees the step succeed and goes on', async () => {
      const history = sagaHistory();
      const a = stepScheduled(history, 'A');
      history.nextEpisode(3_000).activityCompleted(a.task, ok(`reservation-${sagaId}`));

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.isDone).toBe(false);
      expect(describeActions(state)).toEqual([
        'any(sagaStep(doActivityA), timer 10:05:00 cancelled)',
        'any(sagaStep(doActivityB), timer 10:05:00)',
      ]);
      expect(stepStatuses(state)).toEqual(['A:completed', 'B:running', 'C:pending']);
    });
  });

  describe('a compensation that fails after its retries', () => {
    function stoppedAtC(): { history: HistoryBuilder; rejects: Record<string, number> } {
      const history = sagaHistory();
      const a = stepScheduled(history, 'A');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const b = stepScheduled(history, 'B');
      history.nextEpisode().activityCompleted(b.task, ok(`payment-${sagaId}`));
      const c = stepScheduled(history, 'C');
      history.nextEpisode().activityCompleted(c.task, refused('destination-not-served', 'we do not deliver to AQ'));
      const rejects = compensationsScheduled(history, ['B', 'A']);
      history.nextEpisode();
      history.activityFailsEveryAttempt(rejects.B ?? -1, 2, 'TransientStoreError: 503 from payments', retryIntervalMs);
      return { history, rejects };
    }

    it('does not stop the others: the saga waits for rejectA although Task.all already failed', async () => {
      const { history } = stoppedAtC();
      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.isDone).toBe(false);
      expect(describeActions(state).at(-1)).toBe('all(rejectActivityB, rejectActivityA)');
      expect(stepStatuses(state)).toEqual(['A:completed', 'B:compensation-failed', 'C:failed']);
    });

    it('records an incident and answers 500 flagged as needing attention', async () => {
      const { history, rejects } = stoppedAtC();
      history.nextEpisode().activityCompleted(rejects.A ?? -1, undone);

      const recording = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(recording).at(-1)).toBe('all(recordIncident)');
      const incidentAction = activityActions(recording).at(-1);
      expect(incidentAction?.input).toEqual({
        sagaId,
        step: 'B',
        activity: 'rejectActivityB',
        error: "Activity function 'rejectActivityB' failed: TransientStoreError: 503 from payments",
        at: history.now.toISOString(),
      });

      const incident = history.activityScheduled('recordIncident', incidentAction?.input);
      history.nextEpisode().activityCompleted(incident, { incidentId: `incident-${sagaId}-B` });
      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.isDone).toBe(true);
      expect(state.output).toEqual({
        status: 500,
        body: {
          outcome: 'failed',
          orderId: sagaId,
          cause: 'business-rejection',
          step: 'C',
          reason: { code: 'destination-not-served', message: 'we do not deliver to AQ' },
          compensated: ['A'],
          compensationFailed: ['B'],
          needsAttention: true,
          incidents: [`incident-${sagaId}-B`],
          incidentsNotRecorded: [],
        },
      });
      expect(sagaStatus(state)).toMatchObject({ phase: 'failed', needsAttention: true });
      expect(sagaStatus(state).steps[1]?.compensationError).toBe(
        "Activity function 'rejectActivityB' failed: TransientStoreError: 503 from payments",
      );
    });

    it('still ends, flagged, when even the incident cannot be recorded', async () => {
      const { history, rejects } = stoppedAtC();
      history.nextEpisode().activityCompleted(rejects.A ?? -1, undone);
      const incident = history.activityScheduled('recordIncident', {});
      history.nextEpisode();
      history.activityFailsEveryAttempt(incident, 2, 'TransientStoreError: incidents unavailable', retryIntervalMs);

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.isDone).toBe(true);
      expect(state.output).toMatchObject({
        status: 500,
        body: { needsAttention: true, incidents: [], incidentsNotRecorded: ['B'] },
      });
    });
  });

  describe('version 2 (credit check before the charge)', () => {
    const v2History = (): HistoryBuilder => new HistoryBuilder(T0, 'sagaOrchestrator', input, '2.0');

    it('checks credit before charging, and a v1 instance does not', async () => {
      const history = v2History();
      const a = stepScheduled(history, 'A');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const state = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(state)).toEqual(['any(sagaStep(doActivityA), timer 10:05:00 cancelled)', 'checkCredit']);

      const v1 = sagaHistory();
      const a1 = stepScheduled(v1, 'A');
      v1.nextEpisode().activityCompleted(a1.task, ok(`reservation-${sagaId}`));
      expect(describeActions(await replay(sagaOrchestrator, v1, sagaId)).at(-1)).toBe(
        'any(sagaStep(doActivityB), timer 10:05:00)',
      );
    });

    it('a refused credit check rejects B before any money moves: only A is compensated', async () => {
      const history = v2History();
      const a = stepScheduled(history, 'A');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const credit = history.activityScheduled('checkCredit', activityInput);
      history
        .nextEpisode()
        .activityCompleted(credit, refused('insufficient-funds', '29900 cents requested, 1000 cents available'));
      const state = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(state)).toEqual([
        'any(sagaStep(doActivityA), timer 10:05:00 cancelled)',
        'checkCredit',
        'all(rejectActivityA)',
      ]);
      expect(sagaStatus(state).stoppedBy).toEqual({ step: 'B', cause: 'business-rejection' });
    });
  });

  describe('the deadline', () => {
    it("fires while B runs: compensates B and A at once (B's reject fences a late commit) and answers 500", async () => {
      const history = sagaHistory();
      const a = stepScheduled(history, 'A');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const b = stepScheduled(history, 'B');
      history.nextEpisode(5 * 60_000).timerFired(b.deadline);

      // No waiting for B: the extension stopped awaiting it when the deadline won the race.
      const compensating = await replay(sagaOrchestrator, history, sagaId);
      expect(describeActions(compensating)).toEqual([
        'any(sagaStep(doActivityA), timer 10:05:00 cancelled)',
        'any(sagaStep(doActivityB), timer 10:05:00)',
        'all(rejectActivityB, rejectActivityA)',
      ]);
      expect(sagaStatus(compensating).stoppedBy).toEqual({ step: 'B', cause: 'deadline' });

      const rejects = compensationsScheduled(history, ['B', 'A']);
      history
        .nextEpisode()
        .activityCompleted(rejects.B ?? -1, undone)
        .activityCompleted(rejects.A ?? -1, undone);
      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(state.output).toEqual({
        status: 500,
        body: {
          outcome: 'failed',
          orderId: sagaId,
          cause: 'deadline',
          step: 'B',
          error: `the saga did not finish by its deadline ${deadlineAt.toISOString()}`,
          compensated: ['A', 'B'],
          compensationFailed: [],
          needsAttention: false,
          incidents: [],
          incidentsNotRecorded: [],
        },
      });
    });

    it("fires while B waits to retry: the compensations come first, B's later attempts add nothing", async () => {
      const history = sagaHistory();
      const a = stepScheduled(history, 'A');
      history.nextEpisode().activityCompleted(a.task, ok(`reservation-${sagaId}`));
      const b = stepScheduled(history, 'B');
      history.nextEpisode(5 * 60_000).timerFired(b.deadline);
      const compensating = await replay(sagaOrchestrator, history, sagaId);
      history.nextEpisode();
      history.activityFailsEveryAttempt(b.task, 2, 'TransientStoreError: timeout', retryIntervalMs);

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(describeActions(state)).toEqual(describeActions(compensating));
      expect(describeActions(state).at(-1)).toBe('all(rejectActivityB, rejectActivityA)');
      expect(sagaStatus(state).stoppedBy).toEqual({ step: 'B', cause: 'deadline' });
    });

    it('has passed when a step finishes late: the next step is not started', async () => {
      const history = sagaHistory();
      const a = stepScheduled(history, 'A');
      // A's completion and the deadline arrive in the same episode, the completion first.
      history
        .nextEpisode(6 * 60_000)
        .activityCompleted(a.task, ok(`reservation-${sagaId}`))
        .timerFired(a.deadline);

      const state = await replay(sagaOrchestrator, history, sagaId);

      expect(describeActions(state)).toEqual([
        'any(sagaStep(doActivityA), timer 10:05:00 cancelled)',
        'all(rejectActivityA)',
      ]);
      expect(sagaStatus(state).stoppedBy).toEqual({ step: 'B', cause: 'deadline' });
      expect(stepStatuses(state)).toEqual(['A:completed', 'B:pending', 'C:pending']);
    });
  });
});
