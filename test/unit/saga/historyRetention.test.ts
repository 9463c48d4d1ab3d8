import { describe, expect, it } from 'vitest';
import {
  defaultPurgeSchedule,
  defaultRetentionMs,
  needsAttention,
  planPurge,
  readPurgeSchedule,
  readRetentionMs,
} from '../../../src/saga/historyRetention';
import { SettingsError } from '../../../src/saga/settingsReader';

const healthy = { output: { status: 200, body: { outcome: 'completed' } }, customStatus: { needsAttention: false } };
const broken = { output: { status: 500, body: { needsAttention: true } }, customStatus: { needsAttention: true } };

describe('purge settings', () => {
  it('default to daily at 03:00 and 30 days', () => {
    expect(readPurgeSchedule({})).toBe(defaultPurgeSchedule);
    expect(readPurgeSchedule({ SAGA_HISTORY_PURGE_SCHEDULE: ' ' })).toBe('0 0 3 * * *');
    expect(readRetentionMs({})).toBe(defaultRetentionMs);
  });

  it('read a schedule and a retention from the settings', () => {
    expect(readPurgeSchedule({ SAGA_HISTORY_PURGE_SCHEDULE: '0 30 2 * * SUN' })).toBe('0 30 2 * * SUN');
    expect(readRetentionMs({ SAGA_HISTORY_RETENTION: 'P7D' })).toBe(7 * 86_400_000);
  });

  it.each(['PT1H', 'P4000D', 'thirty days'])('refuse a retention of %s, naming the setting', (value) => {
    expect(() => readRetentionMs({ SAGA_HISTORY_RETENTION: value })).toThrow(SettingsError);
    expect(() => readRetentionMs({ SAGA_HISTORY_RETENTION: value })).toThrow(/SAGA_HISTORY_RETENTION/);
  });
});

describe('which finished instances the purge removes', () => {
  it('knows a saga needs attention from its custom status or its output', () => {
    expect(needsAttention({ instanceId: 'a', ...healthy })).toBe(false);
    expect(needsAttention({ instanceId: 'a', customStatus: { needsAttention: true } })).toBe(true);
    expect(needsAttention({ instanceId: 'a', output: { body: { needsAttention: true } } })).toBe(true);
    expect(needsAttention({ instanceId: 'a', output: 'text', customStatus: null })).toBe(false);
  });

  it('removes healthy sagas with their steps and keeps a saga needing attention with its steps', () => {
    const plan = planPurge([
      { instanceId: 'ok', ...healthy },
      { instanceId: 'ok:A', output: { kind: 'succeeded' } },
      { instanceId: 'bad', ...broken },
      { instanceId: 'bad:A', output: { kind: 'succeeded' } },
      { instanceId: 'bad:B', output: { kind: 'failed' } },
    ]);
    expect(plan.purge).toEqual(['ok', 'ok:A']);
    expect(plan.keptForAttention).toBe(3);
    expect(plan.stepsOfUnlistedSagas).toEqual([]);
  });

  it('leaves steps whose saga is not listed (still running, or gone) to the caller to look up', () => {
    const plan = planPurge([{ instanceId: 'running:A', output: { kind: 'succeeded' } }]);
    expect(plan.purge).toEqual([]);
    expect(plan.stepsOfUnlistedSagas).toEqual(['running:A']);
  });
});
