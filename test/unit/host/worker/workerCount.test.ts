import { describe, expect, it } from 'vitest';
import { workerCount } from '../../../../host/worker/workerCount';

describe('FUNCTIONS_WORKER_PROCESS_COUNT', () => {
  it('is 1 when unset or below 1, as the Functions host reads it', () => {
    expect(workerCount({})).toBe(1);
    expect(workerCount({ FUNCTIONS_WORKER_PROCESS_COUNT: '0' })).toBe(1);
    expect(workerCount({ FUNCTIONS_WORKER_PROCESS_COUNT: '-3' })).toBe(1);
  });

  it('is taken as given from 1 to 10', () => {
    expect(workerCount({ FUNCTIONS_WORKER_PROCESS_COUNT: '10' })).toBe(10);
  });

  it('stops the start above 10 or when not a whole number', () => {
    expect(() => workerCount({ FUNCTIONS_WORKER_PROCESS_COUNT: '11' })).toThrow(
      'must not be greater than MaxProcessCount',
    );
    expect(() => workerCount({ FUNCTIONS_WORKER_PROCESS_COUNT: 'two' })).toThrow('is not a whole number');
  });
});
