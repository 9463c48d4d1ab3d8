import { describe, expect, it } from 'vitest';
import { sagaStep } from '../../../src/functions/legacySagaV1V2';
import { Order } from '../../../src/saga/orderInput';
import { RetryPolicy } from '../../../src/saga/retryPolicy';
import { activityActions, describeActions, HistoryBuilder, replay } from '../../support/historyBuilder';

// The step runner: one saga step's do-activity with its retries, as a child orchestration.
const T0 = new Date('2025-03-01T10:00:00.000Z');
const order: Order = {
  customerId: 'cust-alice',
  currency: 'EUR',
  lines: [{ sku: 'SKU-MOUSE', quantity: 1, unitPriceCents: 2499 }],
  shipTo: { name: 'Alice', street: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
};
const retry: RetryPolicy = {
  firstRetryIntervalMs: 1_000,
  maxRetryIntervalMs: 10_000,
  backoffCoefficient: 2,
  maxAttempts: 3,
};
const input = { activity: 'doActivityB', input: { sagaId: 'order-1', order }, retry };
const childId = 'order-1:B';

describe('the saga step runner', () => {
  it('calls the step’s do-activity with the retry policy it was given', async () => {
    const state = await replay(sagaStep, new HistoryBuilder(T0, 'sagaStep', input), childId);
    expect(describeActions(state)).toEqual(['doActivityB']);
    expect(activityActions(state)[0]).toMatchObject({
      input: { sagaId: 'order-1', order },
      retryOptions: {
        firstRetryIntervalInMilliseconds: 1_000,
        maxNumberOfAttempts: 3,
        backoffCoefficient: 2,
        maxRetryIntervalInMilliseconds: 10_000,
      },
    });
  });

  it('retries a transient failure and returns the step’s result', async () => {
    const history = new HistoryBuilder(T0, 'sagaStep', input);
    const first = history.activityScheduled('doActivityB', input.input);
    history.nextEpisode().activityFailed(first, 'TransientStoreError: 503');
    const timer = history.timerCreated(new Date(history.now.getTime() + 1_000));
    history.nextEpisode(1_000).timerFired(timer);
    const second = history.activityScheduled('doActivityB', input.input);
    history.nextEpisode().activityCompleted(second, { ok: true, ref: 'payment-order-1' });

    const state = await replay(sagaStep, history, childId);
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual({ ok: true, ref: 'payment-order-1' });
  });

  it('refuses an input it cannot read', async () => {
    await expect(replay(sagaStep, new HistoryBuilder(T0, 'sagaStep', { activity: 'rm -rf' }), childId)).rejects.toThrow(
      /unreadable step input/,
    );
  });
});
