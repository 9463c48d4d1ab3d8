import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { readQueueOptions } from '../../../../host/triggers/queueOptions';

describe('host.json extensions.queues', () => {
  it('defaults like the queue extension', () => {
    expect(readQueueOptions(undefined)).toEqual({
      batchSize: 16,
      newBatchThreshold: Math.floor((os.cpus().length * 16) / 2),
      maxPollingIntervalMs: 60_000,
      visibilityTimeoutMs: 0,
      maxDequeueCount: 5,
    });
  });

  it('reads TimeSpans and numbers given as text (app setting overrides are text)', () => {
    expect(
      readQueueOptions({
        BatchSize: '4',
        newBatchThreshold: 2,
        maxPollingInterval: '00:00:02.500',
        visibilityTimeout: '1.00:00:30',
        maxDequeueCount: 3,
      }),
    ).toEqual({
      batchSize: 4,
      newBatchThreshold: 2,
      maxPollingIntervalMs: 2_500,
      visibilityTimeoutMs: 86_430_000,
      maxDequeueCount: 3,
    });
  });

  it('refuses values the extension refuses, naming the setting', () => {
    expect(() => readQueueOptions({ batchSize: 33 })).toThrow(/batchSize must be a whole number from 1 to 32/);
    expect(() => readQueueOptions({ maxPollingInterval: '5s' })).toThrow(/maxPollingInterval "5s" is not a TimeSpan/);
    expect(() => readQueueOptions({ maxPollingInterval: '00:00:00.050' })).toThrow(/at least 00:00:00.100/);
    expect(() => readQueueOptions({ maxDequeueCount: 0 })).toThrow(/maxDequeueCount/);
  });
});
