import os from 'node:os';
import { StartupError } from '../config/startupError';

/** host.json `extensions.queues`, with the queue extension's defaults. */
export interface QueueOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  /** How long a failed message stays invisible before its next attempt. */
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
}

const TIME_SPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/;

/** A .NET TimeSpan as host.json writes it ("00:00:30", "1.00:00:00", "00:00:00.500"), in ms. */
function timeSpanMs(value: unknown, setting: string): number {
  const text = String(value).trim();
  const match = TIME_SPAN.exec(text);
  if (!match)
    throw new StartupError(`host.json extensions.queues.${setting} "${text}" is not a TimeSpan such as 00:00:30.`);
  const [, days, hours, minutes, seconds, fraction] = match;
  return (
    ((Number(days ?? 0) * 24 + Number(hours)) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1000 +
    Math.round(Number(`0.${fraction ?? '0'}`) * 1000)
  );
}

function wholeNumber(value: unknown, setting: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new StartupError(
      `host.json extensions.queues.${setting} must be a whole number from ${min} to ${max}, not "${String(value)}".`,
    );
  return n;
}

export function readQueueOptions(queues: Record<string, unknown> | undefined): QueueOptions {
  const get = (name: string): unknown => {
    const key = Object.keys(queues ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : queues?.[key];
  };
  const batchSize = get('batchSize') === undefined ? 16 : wholeNumber(get('batchSize'), 'batchSize', 1, 32);
  const maxPollingIntervalMs =
    get('maxPollingInterval') === undefined ? 60_000 : timeSpanMs(get('maxPollingInterval'), 'maxPollingInterval');
  if (maxPollingIntervalMs < 100)
    throw new StartupError('host.json extensions.queues.maxPollingInterval must be at least 00:00:00.100.');
  return {
    batchSize,
    newBatchThreshold:
      get('newBatchThreshold') === undefined
        ? Math.floor((os.cpus().length * batchSize) / 2)
        : wholeNumber(get('newBatchThreshold'), 'newBatchThreshold', 0, 10_000),
    maxPollingIntervalMs,
    visibilityTimeoutMs:
      get('visibilityTimeout') === undefined ? 0 : timeSpanMs(get('visibilityTimeout'), 'visibilityTimeout'),
    maxDequeueCount:
      get('maxDequeueCount') === undefined ? 5 : wholeNumber(get('maxDequeueCount'), 'maxDequeueCount', 1, 1000),
  };
}
