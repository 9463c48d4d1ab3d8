import { describe, expect, it } from 'vitest';
import { toInstanceDetail } from '../../../src/monitor/instanceDetail';
import { buildTimeline, Timeline, TimelineEntry } from '../../../src/monitor/timeline';
import { ranStepsAsSubOrchestrations, stepActivityOf } from '../../../src/monitor/timelineHistory';
import { recordedInstance, RecordingName, shortlyAfter } from './recordedInstances';

function timelineOf(name: RecordingName, now?: Date): Timeline {
  const { saga, steps } = recordedInstance(name);
  return toInstanceDetail(saga, now ?? shortlyAfter(saga), steps).timeline;
}

function entry(timeline: Timeline, id: string): TimelineEntry {
  const found = timeline.entries.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no entry ${id} in ${timeline.entries.map((e) => e.id).join(', ')}`);
  return found;
}

describe('the saga timeline from recorded histories', () => {
  it('shows the steps of a completed saga in order, with no compensations', () => {
    const timeline = timelineOf('completed');

    expect(timeline.entries.map((e) => [e.id, e.outcome])).toEqual([
      ['step-A', 'succeeded'],
      ['activity-checkCredit', 'succeeded'],
      ['step-B', 'succeeded'],
      ['step-C', 'succeeded'],
    ]);
    expect(entry(timeline, 'step-A').detail).toMatch(/^reservation-/);
    expect(timeline.live).toBe(false);
    expect(timeline.markers.map((m) => m.kind)).toEqual(['completed']);
  });

  it('runs A, B and C one after another on the time axis', () => {
    const timeline = timelineOf('completed');
    const [a, b, c] = ['step-A', 'step-B', 'step-C'].map((id) => entry(timeline, id));

    expect(Date.parse(a.endedAt!)).toBeLessThanOrEqual(Date.parse(b.startedAt!));
    expect(Date.parse(b.endedAt!)).toBeLessThanOrEqual(Date.parse(c.startedAt!));
    expect(a.attempts[0].leftPct).toBeLessThan(b.attempts[0].leftPct);
    expect(b.attempts[0].leftPct).toBeLessThan(c.attempts[0].leftPct);
  });

  it('shows a rejection at C and the compensations of A and B dispatched together', () => {
    const timeline = timelineOf('rejected-at-c');

    expect(entry(timeline, 'step-C')).toMatchObject({
      outcome: 'rejected',
      detail: 'destination-not-served: we do not deliver to AQ',
    });
    const compensations = timeline.entries.filter((e) => e.group === 'compensations');
    expect(compensations.map((e) => [e.id, e.outcome, e.detail])).toEqual([
      ['compensation-B', 'compensated', 'undone'],
      ['compensation-A', 'compensated', 'undone'],
    ]);
    expect(timeline.compensationsRanTogether).toBe(true);
    // Same start, overlapping bars: drawn as running in parallel.
    const [undoB, undoA] = compensations;
    expect(undoB.startedAt).toBe(undoA.startedAt);
    expect(undoB.attempts[0].leftPct).toBe(undoA.attempts[0].leftPct);
    // They start once C has answered.
    expect(Date.parse(undoA.startedAt!)).toBeGreaterThanOrEqual(Date.parse(entry(timeline, 'step-C').endedAt!));
  });

  it('marks the steps after a rejection at A as not run, and compensates nothing', () => {
    const timeline = timelineOf('rejected-at-a');

    expect(timeline.entries.map((e) => [e.id, e.outcome])).toEqual([
      ['step-A', 'rejected'],
      ['step-B', 'pending'],
      ['step-C', 'pending'],
    ]);
    expect(entry(timeline, 'step-B')).toMatchObject({ detail: 'not run', attempts: [] });
  });

  it('shows every retry of a step from its sub-orchestration, with the waits between them', () => {
    const timeline = timelineOf('retried-b-then-completed');
    const b = entry(timeline, 'step-B');

    expect(b.outcome).toBe('succeeded');
    expect(b.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'completed']);
    expect(b.attempts[0].error).toBe(
      'charge cust-alice for f13e1aa4785d482eaa91f2cfc4ece870: transient failure (503): injected',
    );
    const lefts = b.attempts.map((a) => a.leftPct);
    expect([...lefts].sort((x, y) => x - y)).toEqual(lefts);
    // A retry interval of one second separates the attempts.
    expect(Date.parse(b.attempts[1].startedAt!) - Date.parse(b.attempts[0].endedAt!)).toBeGreaterThanOrEqual(900);
  });

  it('shows a step waiting to retry as running up to now while the saga runs', () => {
    const { saga } = recordedInstance('running-b-waiting-to-retry');
    const now = new Date(Date.parse('2026-11-23T13:18:25.300Z'));
    const timeline = timelineOf('running-b-waiting-to-retry', now);
    const b = entry(timeline, 'step-B');

    expect(saga.runtimeStatus).toBe('Running');
    expect(timeline.live).toBe(true);
    expect(timeline.endedAt).toBe(now.toISOString());
    expect(b.outcome).toBe('running');
    expect(b.detail).toMatch(
      /^attempt 2 failed: charge cust-alice .*: transient failure \(503\): injected; waiting to retry$/,
    );
    expect(b.endedAt).toBe(now.toISOString());
    expect(entry(timeline, 'step-C')).toMatchObject({ outcome: 'pending' });
  });

  it('shows a terminated saga: the step cut off, its child still running, the reason', () => {
    const timeline = timelineOf('terminated-during-b');
    const b = entry(timeline, 'step-B');

    expect(b.outcome).toBe('interrupted');
    expect(b.detail).toBe(
      'the saga ended while this step ran; its sub-orchestration fca6d00c2dab49a08195a337e3d88b75:B is still Running and may yet commit',
    );
    expect(timeline.markers).toEqual([
      expect.objectContaining({ kind: 'terminated', label: 'terminated: stuck in payment', atPct: 100 }),
    ]);
    expect(timeline.entries.filter((e) => e.group === 'compensations')).toEqual([]);
  });

  it('shows a compensation that failed after its retries, and the incident recorded for it', () => {
    const timeline = timelineOf('compensation-failed');
    const undoB = entry(timeline, 'compensation-B');

    expect(undoB.outcome).toBe('compensation-failed');
    expect(undoB.attempts).toHaveLength(6);
    expect(undoB.detail).toBe(
      'refund cust-alice for d9c4a952104e4a20821f4bda910cd0c2: transient failure (503): injected',
    );
    expect(entry(timeline, 'compensation-A')).toMatchObject({ outcome: 'compensated', detail: 'undone' });
    expect(entry(timeline, 'incident-1')).toMatchObject({
      group: 'incidents',
      outcome: 'recorded',
      detail: 'incident-d9c4a952104e4a20821f4bda910cd0c2-B',
    });
    expect(timeline.compensationsRanTogether).toBe(true);
  });

  it('marks suspend, the raised event and resume on the time axis, in order', () => {
    const timeline = timelineOf('suspended-resumed-completed');

    expect(timeline.markers.map((m) => m.label)).toEqual([
      'suspended: look',
      'resumed: ok',
      'event Approval',
      'orchestration completed',
    ]);
    const positions = timeline.markers.map((m) => m.atPct);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
    expect(entry(timeline, 'step-B').outcome).toBe('succeeded');
  });

  it('reads sagas whose activities ran in the saga itself (before steps became sub-orchestrations)', () => {
    const timeline = timelineOf('activities-in-saga-rejected-at-c');

    expect(timeline.entries.map((e) => [e.id, e.outcome])).toEqual([
      ['step-A', 'succeeded'],
      ['activity-checkCredit', 'succeeded'],
      ['step-B', 'succeeded'],
      ['step-C', 'rejected'],
      ['compensation-B', 'compensated'],
      ['compensation-A', 'compensated'],
    ]);
    expect(timeline.compensationsRanTogether).toBe(true);
  });

  it('falls back to the history when the custom status is unreadable', () => {
    const { saga, steps } = recordedInstance('rejected-at-c');
    const timeline = toInstanceDetail(
      { ...saga, customStatus: 'not a saga state' },
      shortlyAfter(saga),
      steps,
    ).timeline;

    expect(timeline.entries.map((e) => [e.id, e.outcome])).toEqual([
      ['step-A', 'succeeded'],
      ['activity-checkCredit', 'succeeded'],
      ['step-B', 'succeeded'],
      ['step-C', 'rejected'],
      ['compensation-B', 'compensated'],
      ['compensation-A', 'compensated'],
    ]);
    expect(entry(timeline, 'step-C').detail).toBe('destination-not-served: we do not deliver to AQ');
  });

  it('falls back to the custom status when there is no history yet', () => {
    const { saga } = recordedInstance('running-b-waiting-to-retry');
    const now = new Date('2026-11-23T13:18:25.000Z');
    const timeline = buildTimeline({
      saga: saga.customStatus as never,
      runtimeStatus: 'Running',
      createdTime: saga.createdTime,
      lastUpdatedTime: saga.lastUpdatedTime,
      now,
    });

    expect(timeline.entries.map((e) => [e.id, e.outcome])).toEqual([
      ['step-A', 'succeeded'],
      ['step-B', 'running'],
      ['step-C', 'pending'],
    ]);
    expect(entry(timeline, 'step-A').startedAt).toBeDefined();
    expect(timeline.startedAt).toBeDefined();
  });

  it('draws nothing it cannot place for an instance without times', () => {
    const timeline = buildTimeline({ runtimeStatus: 'Pending', now: new Date() });

    expect(timeline.spanText).toBe('–');
    expect(timeline.ticks).toEqual([]);
    expect(timeline.entries.every((e) => e.outcome === 'pending')).toBe(true);
  });

  it('keeps every bar inside the track and wide enough to see', () => {
    for (const name of ['completed', 'rejected-at-c', 'retried-b-then-completed', 'compensation-failed'] as const) {
      for (const attempt of timelineOf(name).entries.flatMap((e) => e.attempts)) {
        expect(attempt.leftPct).toBeGreaterThanOrEqual(0);
        expect(attempt.widthPct).toBeGreaterThanOrEqual(0.6);
        expect(attempt.leftPct + attempt.widthPct).toBeLessThanOrEqual(100.01);
      }
    }
  });

  it('labels the time axis from +0 to the whole span', () => {
    const timeline = timelineOf('retried-b-then-completed');

    expect(timeline.ticks.map((t) => t.pct)).toEqual([0, 25, 50, 75, 100]);
    expect(timeline.ticks[0].label).toBe('+0 ms');
    expect(timeline.ticks[4].label).toBe(`+${timeline.spanText}`);
  });
});

describe('stepActivityOf', () => {
  it('reads the step input whether the history parsed it or left it as JSON text', () => {
    expect(stepActivityOf({ activity: 'doActivityB', input: {}, retry: {} })).toBe('doActivityB');
    expect(stepActivityOf('{"activity":"doActivityC"}')).toBe('doActivityC');
  });

  it('ignores inputs that name no step', () => {
    expect(stepActivityOf({ activity: 'rejectActivityA' })).toBeUndefined();
    expect(stepActivityOf('not json')).toBeUndefined();
    expect(stepActivityOf(null)).toBeUndefined();
  });
});

describe('the timeline of a v3 saga (attempts in its own history)', () => {
  it('shows each attempt of B and the backoff waits between them, from the saga’s own history', () => {
    const timeline = timelineOf('v3-retried-b-then-completed');
    const b = entry(timeline, 'step-B');

    expect(timeline.entries.map((e) => [e.id, e.outcome])).toEqual([
      ['step-A', 'succeeded'],
      ['activity-checkCredit', 'succeeded'],
      ['step-B', 'succeeded'],
      ['step-C', 'succeeded'],
    ]);
    expect(b.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'completed']);
    expect(b.backoffs).toHaveLength(2);
    // Each wait starts when an attempt failed and ends when the next one starts.
    for (const [index, wait] of b.backoffs.entries()) {
      expect(Date.parse(wait.startedAt)).toBeGreaterThanOrEqual(Date.parse(b.attempts[index].endedAt!));
      expect(Date.parse(wait.endedAt)).toBeLessThanOrEqual(Date.parse(b.attempts[index + 1].startedAt!));
      expect(wait.leftPct).toBeGreaterThan(b.attempts[index].leftPct);
    }
    expect(entry(timeline, 'step-A').backoffs).toEqual([]);
    expect(timeline.markers.map((m) => m.kind)).toEqual(['backoff', 'backoff', 'completed']);
    expect(timeline.markers[0].label).toMatch(/^doActivityB: attempt 1 failed, next attempt at /);
    // The deadline (five minutes off) never came: no marker, and the span ends at completion.
    expect(timeline.markers.some((m) => m.kind === 'deadline')).toBe(false);
  });

  it('while B waits to retry: running, naming the failed attempt, with the wait drawn', () => {
    const { saga } = recordedInstance('v3-running-b-waiting-to-retry');
    const timeline = timelineOf('v3-running-b-waiting-to-retry', new Date(Date.parse(saga.lastUpdatedTime) + 100));
    const b = entry(timeline, 'step-B');

    expect(b.outcome).toBe('running');
    expect(b.detail).toMatch(/^attempt 1 failed: .*; waiting to retry$/);
    expect(b.backoffs).toHaveLength(1);
    expect(timeline.live).toBe(true);
  });

  it('marks the deadline that stopped the saga, with B failed and A and B compensated', () => {
    const timeline = timelineOf('v3-running-at-deadline');

    expect(entry(timeline, 'step-B')).toMatchObject({
      outcome: 'failed',
      detail: 'the saga deadline passed while this step was running',
    });
    expect(timeline.entries.filter((e) => e.group === 'compensations').map((e) => [e.id, e.outcome])).toEqual([
      ['compensation-B', 'compensated'],
      ['compensation-A', 'compensated'],
    ]);
    const deadline = timeline.markers.find((m) => m.kind === 'deadline');
    expect(deadline?.label).toBe('deadline: the saga stopped at B and compensated');
    // The compensations start once the deadline has passed.
    expect(Date.parse(entry(timeline, 'compensation-B').startedAt!)).toBeGreaterThanOrEqual(Date.parse(deadline!.at));
  });

  it('needs no step sub-orchestrations: only v1/v2 histories have them', () => {
    expect(ranStepsAsSubOrchestrations(recordedInstance('v3-retried-b-then-completed').saga.historyEvents)).toBe(false);
    expect(ranStepsAsSubOrchestrations(recordedInstance('retried-b-then-completed').saga.historyEvents)).toBe(true);
  });
});
