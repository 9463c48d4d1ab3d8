import { describe, expect, it } from 'vitest';
import { compensationOrder, needsCompensation } from '../../../src/saga/compensationPlan';
import { errorSummary } from '../../../src/saga/errorSummary';
import { toOrderView } from '../../../src/saga/orderView';
import { newSagaState, stepStarted } from '../../../src/saga/sagaState';
import { sagaSteps } from '../../../src/saga/steps';

const running = stepStarted(
  newSagaState('order-1', sagaSteps, '2025-03-01T10:00:00.000Z', '2025-03-01T10:05:00.000Z'),
  'A',
  '2025-03-01T10:00:00.000Z',
);

describe('toOrderView', () => {
  it('shows a running saga in the order’s words', () => {
    const view = toOrderView({
      instanceId: 'order-1',
      runtimeStatus: 'Running',
      customStatus: running,
      output: null,
      createdTime: new Date('2025-03-01T10:00:00.000Z'),
      lastUpdatedTime: '2025-03-01T10:00:01.000Z',
    });
    expect(view).toEqual({
      orderId: 'order-1',
      runtimeStatus: 'Running',
      phase: 'running',
      steps: [
        { step: 'A', action: 'reserve-stock', status: 'running', startedAt: '2025-03-01T10:00:00.000Z' },
        { step: 'B', action: 'charge-payment', status: 'pending' },
        { step: 'C', action: 'book-shipment', status: 'pending' },
      ],
      deadlineAt: '2025-03-01T10:05:00.000Z',
      needsAttention: false,
      createdAt: '2025-03-01T10:00:00.000Z',
      lastUpdatedAt: '2025-03-01T10:00:01.000Z',
    });
  });

  it('includes the outcome once there is one', () => {
    const outcome = { status: 400, body: { outcome: 'rejected', step: 'B' } };
    expect(
      toOrderView({ instanceId: 'order-1', runtimeStatus: 'Completed', customStatus: running, output: outcome })
        .outcome,
    ).toEqual(outcome);
  });

  it('flags a terminated or crashed saga as needing attention: it may hold stock or money', () => {
    for (const runtimeStatus of ['Terminated', 'Failed']) {
      expect(toOrderView({ instanceId: 'order-1', runtimeStatus, customStatus: running })).toMatchObject({
        phase: 'failed',
        needsAttention: true,
      });
    }
  });

  it('says "unknown" when the instance has not reported a saga state (yet)', () => {
    expect(toOrderView({ instanceId: 'order-1', runtimeStatus: 'Pending', customStatus: null })).toMatchObject({
      phase: 'unknown',
      steps: [],
      needsAttention: false,
    });
  });
});

describe('the compensation rules', () => {
  it('compensate what succeeded and what failed after its retries, not what a business rule refused', () => {
    expect(needsCompensation({ kind: 'succeeded', ref: 'r' })).toBe(true);
    expect(needsCompensation({ kind: 'errored', error: 'lost reply' })).toBe(true);
    expect(needsCompensation({ kind: 'rejected', reason: { code: 'insufficient-funds', message: '' } })).toBe(false);
  });

  it('list the latest step first', () => {
    expect(compensationOrder(['A', 'B', 'C'])).toEqual(['C', 'B', 'A']);
  });
});

describe('errorSummary', () => {
  it('keeps the first line of what the SDK reports, without the remote stack trace', () => {
    const error = new Error("Activity function 'doActivityB' failed: boom \n Error: boom\n    at x (y.js:1:1)");
    expect(errorSummary(error)).toBe("Activity function 'doActivityB' failed: boom");
  });

  it('bounds the length', () => {
    expect(errorSummary('x'.repeat(2_000))).toHaveLength(500);
  });
});
