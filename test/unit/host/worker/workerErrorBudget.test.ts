import { describe, expect, it } from 'vitest';
import { WorkerErrorBudget } from '../../../../host/worker/workerErrorBudget';

const MINUTE = 60_000;

describe('the worker error budget', () => {
  it('allows a restart after each of the first 3 × N − 1 errors and none after the 3 × N-th', () => {
    const budget = new WorkerErrorBudget(2, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => budget.spend())).toEqual([true, true, true, true, true, false]);
  });

  it('starts counting again after 30 minutes without an error', () => {
    let now = 0;
    const budget = new WorkerErrorBudget(1, () => now);
    budget.spend();
    now += 20 * MINUTE;
    budget.spend();
    now += 31 * MINUTE;
    expect(budget.spend()).toBe(true);
    expect(budget.spend()).toBe(true);
    expect(budget.spend()).toBe(false);
  });
});
