import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InstanceStatusPayload, instanceStatusPayloadSchema } from '../../../src/monitor/durableStatusApi';

// Statuses with history recorded from the app on the local host (GET …/instances/{id}?showHistory
// =true&showHistoryOutput=true&showInput=true), for the saga and its step sub-orchestrations:
//   completed, rejected-at-a, rejected-at-c            the examples/orders bodies
//   retried-b-then-completed                           payments answered 503 twice, then worked
//   running-b-waiting-to-retry, terminated-during-b    payments down; read while B waits to retry,
//                                                       then after the saga was terminated
//   compensation-failed                                rejected at C while refunds kept failing
//   suspended-resumed-completed                        suspended, an event raised, resumed
//   activities-in-saga-rejected-at-c                   before steps ran as sub-orchestrations
//   v3-retried-b-then-completed                        v3: payments answered 503 twice, then worked
//   v3-running-b-waiting-to-retry                      v3: payments down, read while B waits to retry
//   v3-running-at-deadline                             v3 (SAGA_DEADLINE=PT3S): B's charge held, the
//                                                       deadline won, B and A compensated, then the
//                                                       held charge answered payment-cancelled
// The saga ran with SAGA_RETRY_FIRST_INTERVAL=PT1S so that retries show in a few seconds. v3
// sagas have no step sub-orchestrations (steps: []).

export interface RecordedInstance {
  readonly saga: InstanceStatusPayload;
  readonly steps: readonly InstanceStatusPayload[];
}

export type RecordingName =
  | 'completed'
  | 'rejected-at-a'
  | 'rejected-at-c'
  | 'retried-b-then-completed'
  | 'running-b-waiting-to-retry'
  | 'terminated-during-b'
  | 'compensation-failed'
  | 'suspended-resumed-completed'
  | 'activities-in-saga-rejected-at-c'
  | 'v3-retried-b-then-completed'
  | 'v3-running-b-waiting-to-retry'
  | 'v3-running-at-deadline';

export function recordedInstance(name: RecordingName): RecordedInstance {
  const raw = JSON.parse(readFileSync(path.join(__dirname, 'histories', `${name}.json`), 'utf8')) as {
    saga: unknown;
    steps: unknown[];
  };
  return {
    saga: instanceStatusPayloadSchema.parse(raw.saga),
    steps: raw.steps.map((step) => instanceStatusPayloadSchema.parse(step)),
  };
}

/** A moment shortly after the instance was last updated: "now" for a finished instance. */
export function shortlyAfter(status: InstanceStatusPayload, ms = 1_000): Date {
  return new Date(Date.parse(status.lastUpdatedTime) + ms);
}
