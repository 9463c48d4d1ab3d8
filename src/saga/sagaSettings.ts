import { z } from 'zod';
import { defaultRetryPolicies, readRetryPolicies, RetryPolicies, retryPoliciesSchema } from './retryPolicy';
import { AppSettings, SettingsReader } from './settingsReader';

/**
 * Everything the orchestrator needs to know from the settings. It travels in the orchestration
 * input so that a saga keeps the policy it started with, whatever happens to the settings later.
 */
export interface SagaPolicy {
  readonly deadlineMs: number;
  readonly retry: RetryPolicies;
}

export const sagaDeadlineSettingName = 'SAGA_DEADLINE';

export const defaultSagaPolicy: SagaPolicy = {
  deadlineMs: 5 * 60_000,
  retry: defaultRetryPolicies,
};

export const sagaPolicySchema = z.strictObject({
  deadlineMs: z.number().int().positive(),
  retry: retryPoliciesSchema,
});

/** Throws a SettingsError naming every bad setting. */
export function readSagaPolicy(settings: AppSettings): SagaPolicy {
  const reader = new SettingsReader(settings);
  // Timers longer than a few days turn into chains of timers in Durable Functions; a saga that
  // waits that long for a stock reservation is a design error, not a setting.
  const deadlineMs = reader.duration(sagaDeadlineSettingName, defaultSagaPolicy.deadlineMs, {
    minMs: 1_000,
    maxMs: 24 * 3_600_000,
  });
  const retry = readRetryPolicies(reader);
  reader.done();
  return { deadlineMs, retry };
}
