import * as df from 'durable-functions';
import { z } from 'zod';
import { AppSettings, SettingsReader } from './settingsReader';

// The one place the saga's retry policy lives. The starter reads it from the app settings and puts
// it into the orchestration input; the orchestrator only turns it into RetryOptions. Reading
// settings inside the orchestrator would make replays depend on settings changed mid-saga.

export interface RetryPolicy {
  readonly firstRetryIntervalMs: number;
  readonly maxRetryIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maxAttempts: number;
}

export interface RetryPolicies {
  /** For do-activities: a failure here still leaves the saga free to compensate. */
  readonly step: RetryPolicy;
  /**
   * For compensations and incident records: these try harder, because giving up means a person has
   * to repair the order.
   */
  readonly compensation: RetryPolicy;
}

export const retrySettingNames = {
  firstInterval: 'SAGA_RETRY_FIRST_INTERVAL',
  maxInterval: 'SAGA_RETRY_MAX_INTERVAL',
  backoffCoefficient: 'SAGA_RETRY_BACKOFF_COEFFICIENT',
  stepMaxAttempts: 'SAGA_STEP_MAX_ATTEMPTS',
  compensationMaxAttempts: 'SAGA_COMPENSATION_MAX_ATTEMPTS',
} as const;

export const defaultRetryPolicies: RetryPolicies = {
  step: { firstRetryIntervalMs: 2_000, maxRetryIntervalMs: 30_000, backoffCoefficient: 2, maxAttempts: 3 },
  compensation: {
    firstRetryIntervalMs: 2_000,
    maxRetryIntervalMs: 30_000,
    backoffCoefficient: 2,
    maxAttempts: 6,
  },
};

export const retryPolicySchema = z.strictObject({
  firstRetryIntervalMs: z.number().int().positive(),
  maxRetryIntervalMs: z.number().int().positive(),
  backoffCoefficient: z.number().min(1),
  maxAttempts: z.number().int().min(1),
});

export const retryPoliciesSchema = z.strictObject({
  step: retryPolicySchema,
  compensation: retryPolicySchema,
});

/** Reads the retry settings into the given reader; call reader.done() to surface problems. */
export function readRetryPolicies(reader: SettingsReader): RetryPolicies {
  const interval = { minMs: 1, maxMs: 3_600_000 };
  const firstRetryIntervalMs = reader.duration(
    retrySettingNames.firstInterval,
    defaultRetryPolicies.step.firstRetryIntervalMs,
    interval,
  );
  const maxRetryIntervalMs = reader.duration(
    retrySettingNames.maxInterval,
    defaultRetryPolicies.step.maxRetryIntervalMs,
    interval,
  );
  const backoffCoefficient = reader.number(
    retrySettingNames.backoffCoefficient,
    defaultRetryPolicies.step.backoffCoefficient,
    { min: 1, max: 10 },
  );
  const shared = {
    firstRetryIntervalMs,
    maxRetryIntervalMs: Math.max(maxRetryIntervalMs, firstRetryIntervalMs),
    backoffCoefficient,
  };
  return {
    step: {
      ...shared,
      maxAttempts: reader.integer(retrySettingNames.stepMaxAttempts, defaultRetryPolicies.step.maxAttempts, {
        min: 1,
        max: 20,
      }),
    },
    compensation: {
      ...shared,
      maxAttempts: reader.integer(
        retrySettingNames.compensationMaxAttempts,
        defaultRetryPolicies.compensation.maxAttempts,
        { min: 1, max: 50 },
      ),
    },
  };
}

export function readRetryPoliciesFromSettings(settings: AppSettings): RetryPolicies {
  const reader = new SettingsReader(settings);
  const policies = readRetryPolicies(reader);
  reader.done();
  return policies;
}

export function toRetryOptions(policy: RetryPolicy): df.RetryOptions {
  const options = new df.RetryOptions(policy.firstRetryIntervalMs, policy.maxAttempts);
  options.backoffCoefficient = policy.backoffCoefficient;
  options.maxRetryIntervalInMilliseconds = policy.maxRetryIntervalMs;
  return options;
}

/**
 * How long to wait after the given failed attempt (1 = the first) before the next one: the same
 * exponential backoff, capped, that callActivityWithRetry applies.
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number): number {
  const delay = policy.firstRetryIntervalMs * Math.pow(policy.backoffCoefficient, Math.max(failedAttempts, 1) - 1);
  return Math.min(delay, policy.maxRetryIntervalMs);
}
