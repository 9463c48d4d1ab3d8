import { describe, expect, it } from 'vitest';
import { InstanceStatusPayload } from '../../../src/monitor/durableStatusApi';
import { toInstanceRow } from '../../../src/monitor/instanceRow';
import { formatDuration } from '../../../src/monitor/timestamps';
import { recordedInstance } from './recordedInstances';

describe('a row of the instance list', () => {
  it("shows a finished saga with its outcome and the saga's own duration in milliseconds", () => {
    const { saga } = recordedInstance('rejected-at-c');
    const row = toInstanceRow(saga, new Date('2030-01-01T00:00:00Z'));

    expect(row).toMatchObject({
      instanceId: 'b50eead6c8af405b8d09eab0a588bbff',
      name: 'sagaOrchestrator',
      runtimeStatus: 'Completed',
      sagaPhase: 'rejected',
      sagaStatus: 'rejected at C: destination-not-served',
      needsAttention: false,
      createdTime: '2026-11-23T13:18:21.000Z',
      active: false,
    });
    // startedAt 13:18:21.072 → updatedAt 13:18:21.326 in the custom status, not "now".
    expect(row.durationMs).toBe(254);
    expect(row.durationText).toBe('254 ms');
  });

  it('counts a running saga up to now and keeps the page refreshing', () => {
    const { saga } = recordedInstance('running-b-waiting-to-retry');
    const row = toInstanceRow(saga, new Date('2026-11-23T13:18:33.000Z'));

    expect(row).toMatchObject({
      runtimeStatus: 'Running',
      sagaStatus: 'running step B (charge-payment)',
      active: true,
    });
    expect(row.durationMs).toBe(10_000);
    expect(row.durationText).toBe('10.0 s');
  });

  it('says a terminated saga needs attention and where it stopped', () => {
    const { saga } = recordedInstance('terminated-during-b');
    const row = toInstanceRow(saga, new Date('2030-01-01T00:00:00Z'));

    expect(row).toMatchObject({
      sagaPhase: 'failed',
      sagaStatus: 'terminated during step B – needs attention',
      needsAttention: true,
      active: false,
    });
    // Until the last update, not until now.
    expect(row.durationMs).toBe(Date.parse(saga.lastUpdatedTime) - Date.parse(saga.createdTime));
  });

  it('says a saga whose compensation failed needs attention', () => {
    const row = toInstanceRow(recordedInstance('compensation-failed').saga, new Date());

    expect(row).toMatchObject({
      sagaStatus: 'failed at C: destination-not-served – needs attention',
      needsAttention: true,
    });
  });

  it('shows a step sub-orchestration without a saga status', () => {
    const [step] = recordedInstance('completed').steps;
    const row = toInstanceRow(step, new Date());

    expect(row).toMatchObject({ name: 'sagaStep', sagaPhase: 'none', sagaStatus: '–', needsAttention: false });
  });

  it('describes a saga that has not started and a suspended one', () => {
    const pending: InstanceStatusPayload = {
      name: 'sagaOrchestrator',
      instanceId: 'p1',
      runtimeStatus: 'Pending',
      customStatus: null,
      createdTime: '2025-03-01T10:00:00Z',
      lastUpdatedTime: '2025-03-01T10:00:00Z',
    };
    expect(toInstanceRow(pending, new Date('2025-03-01T10:00:02Z'))).toMatchObject({
      sagaStatus: 'not started yet',
      active: true,
      durationText: '2.0 s',
    });

    const { saga } = recordedInstance('running-b-waiting-to-retry');
    expect(toInstanceRow({ ...saga, runtimeStatus: 'Suspended' }, new Date())).toMatchObject({
      sagaStatus: 'suspended – running step B (charge-payment)',
      active: false,
    });
  });

  it('leaves the times out rather than guessing when they cannot be read', () => {
    const odd: InstanceStatusPayload = {
      name: 'other',
      instanceId: 'x',
      runtimeStatus: 'Completed',
      createdTime: 'not a time',
      lastUpdatedTime: '',
    };
    const row = toInstanceRow(odd, new Date());

    expect(row.createdTime).toBeUndefined();
    expect(row.durationMs).toBeUndefined();
    expect(row.durationText).toBe('–');
  });
});

describe('formatDuration', () => {
  it('is short at every scale', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(999)).toBe('999 ms');
    expect(formatDuration(4_250)).toBe('4.2 s');
    expect(formatDuration(65_000)).toBe('1 min 05 s');
    expect(formatDuration(2 * 3_600_000 + 3 * 60_000)).toBe('2 h 03 min');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3 d 4 h');
    expect(formatDuration(-1)).toBe('–');
  });
});
