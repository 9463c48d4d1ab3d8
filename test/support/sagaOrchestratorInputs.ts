import type { Order } from '../../src/saga/orderInput';
import type { SagaPolicy } from '../../src/saga/sagaSettings';

// The order and policy the orchestrator specifications replay with: one keyboard for Alice, retries
// one second apart so that the expected timer times are easy to read.

export const retryIntervalMs = 1_000;

export const specOrder: Order = {
  customerId: 'cust-alice',
  currency: 'EUR',
  lines: [{ sku: 'SKU-KEYBOARD', quantity: 1, unitPriceCents: 4_999 }],
  shipTo: { name: 'Alice Example', street: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
};

/** A five-minute deadline; `stepAttempts` tries of a do-activity, two of a compensation. */
export function specPolicy(stepAttempts: number): SagaPolicy {
  const retry = { firstRetryIntervalMs: retryIntervalMs, maxRetryIntervalMs: 10_000, backoffCoefficient: 2 };
  return {
    deadlineMs: 5 * 60_000,
    retry: { step: { ...retry, maxAttempts: stepAttempts }, compensation: { ...retry, maxAttempts: 2 } },
  };
}
