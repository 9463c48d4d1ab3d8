import { describe, expect, it } from 'vitest';
import { formatIsoDuration, parseIsoDuration } from '../../../src/saga/isoDuration';
import { defaultRetryPolicies, readRetryPoliciesFromSettings, toRetryOptions } from '../../../src/saga/retryPolicy';
import { defaultSagaPolicy, readSagaPolicy } from '../../../src/saga/sagaSettings';
import { SettingsError } from '../../../src/saga/settingsReader';

describe('parseIsoDuration', () => {
  it.each([
    ['PT5M', 300_000],
    ['PT30S', 30_000],
    ['PT0.5S', 500],
    ['PT1H30M', 5_400_000],
    ['P1D', 86_400_000],
    ['P1DT2H', 93_600_000],
    [' PT2S ', 2_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each([['5m'], ['300'], ['P'], ['PT'], ['PT-5M'], ['P1W'], ['']])('does not read %j', (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });

  it('formats back to the shortest form', () => {
    expect([300_000, 30_000, 500, 3_600_000, 86_400_000].map(formatIsoDuration)).toEqual([
      'PT5M',
      'PT30S',
      'PT0.5S',
      'PT1H',
      'P1D',
    ]);
  });
});

describe('readSagaPolicy', () => {
  it('uses the defaults when nothing is set: a 5 minute deadline, 3 step attempts, 6 compensation attempts', () => {
    expect(readSagaPolicy({})).toEqual(defaultSagaPolicy);
    expect(defaultSagaPolicy.deadlineMs).toBe(300_000);
    expect(defaultRetryPolicies.step.maxAttempts).toBe(3);
    expect(defaultRetryPolicies.compensation.maxAttempts).toBe(6);
  });

  it('treats blank settings as unset', () => {
    expect(readSagaPolicy({ SAGA_DEADLINE: '  ', SAGA_STEP_MAX_ATTEMPTS: '' })).toEqual(defaultSagaPolicy);
  });

  it('reads every setting', () => {
    const policy = readSagaPolicy({
      SAGA_DEADLINE: 'PT2M',
      SAGA_RETRY_FIRST_INTERVAL: 'PT1S',
      SAGA_RETRY_MAX_INTERVAL: 'PT10S',
      SAGA_RETRY_BACKOFF_COEFFICIENT: '1.5',
      SAGA_STEP_MAX_ATTEMPTS: '4',
      SAGA_COMPENSATION_MAX_ATTEMPTS: '9',
    });
    expect(policy).toEqual({
      deadlineMs: 120_000,
      retry: {
        step: { firstRetryIntervalMs: 1_000, maxRetryIntervalMs: 10_000, backoffCoefficient: 1.5, maxAttempts: 4 },
        compensation: {
          firstRetryIntervalMs: 1_000,
          maxRetryIntervalMs: 10_000,
          backoffCoefficient: 1.5,
          maxAttempts: 9,
        },
      },
    });
  });

  it('names every bad setting at once', () => {
    let error: unknown;
    try {
      readSagaPolicy({
        SAGA_DEADLINE: '5 minutes',
        SAGA_STEP_MAX_ATTEMPTS: '0',
        SAGA_RETRY_BACKOFF_COEFFICIENT: 'fast',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).problems).toEqual([
      'SAGA_DEADLINE="5 minutes" is not an ISO-8601 duration such as PT5M',
      'SAGA_RETRY_BACKOFF_COEFFICIENT="fast" must be a number from 1 to 10',
      'SAGA_STEP_MAX_ATTEMPTS="0" must be a whole number from 1 to 20',
    ]);
  });

  it('refuses a deadline outside 1 second to 1 day', () => {
    expect(() => readSagaPolicy({ SAGA_DEADLINE: 'PT0.5S' })).toThrow(/between PT1S and P1D/);
    expect(() => readSagaPolicy({ SAGA_DEADLINE: 'P2D' })).toThrow(SettingsError);
  });

  it('never lets the maximum retry interval fall below the first one', () => {
    const policies = readRetryPoliciesFromSettings({
      SAGA_RETRY_FIRST_INTERVAL: 'PT20S',
      SAGA_RETRY_MAX_INTERVAL: 'PT5S',
    });
    expect(policies.step.maxRetryIntervalMs).toBe(20_000);
  });
});

describe('toRetryOptions', () => {
  it('carries the whole policy into the SDK options sent to the extension', () => {
    const options = toRetryOptions(defaultRetryPolicies.step);
    expect(options).toMatchObject({
      firstRetryIntervalInMilliseconds: 2_000,
      maxNumberOfAttempts: 3,
      backoffCoefficient: 2,
      maxRetryIntervalInMilliseconds: 30_000,
    });
  });
});
