import { describe, expect, it } from 'vitest';
import { sagaFigures, summarize } from '../../../src/saga/sagaFigures';
import {
  newSagaState,
  sagaCompleted,
  sagaStopped,
  stepCompleted,
  stepRejected,
  stepStarted,
} from '../../../src/saga/sagaState';
import { sagaSteps } from '../../../src/saga/steps';

const at = (ms: number): string => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

function completedSaga(stepMs: number): unknown {
  let state = newSagaState('s', sagaSteps, at(0), at(300_000));
  let t = 0;
  for (const step of ['A', 'B', 'C'] as const) {
    state = stepStarted(state, step, at(t));
    t += stepMs;
    state = stepCompleted(state, step, `${step}-ref`, at(t));
  }
  return sagaCompleted(state, at(t));
}

function rejectedAtB(): unknown {
  let state = newSagaState('r', sagaSteps, at(0), at(300_000));
  state = stepCompleted(stepStarted(state, 'A', at(0)), 'A', 'ref', at(10));
  state = stepRejected(stepStarted(state, 'B', at(10)), 'B', { code: 'insufficient-funds', message: 'no' }, at(20));
  return { ...sagaStopped(state, 'B', 'business-rejection', at(20)), phase: 'rejected' };
}

describe('saga figures', () => {
  it('counts outcomes in domain terms', () => {
    const figures = sagaFigures([
      { runtimeStatus: 'Completed', customStatus: completedSaga(10) },
      { runtimeStatus: 'Completed', customStatus: completedSaga(30) },
      { runtimeStatus: 'Completed', customStatus: rejectedAtB() },
      { runtimeStatus: 'Running', customStatus: newSagaState('x', sagaSteps, at(0), at(1)) },
      { runtimeStatus: 'Terminated', customStatus: null },
    ]);
    expect(figures.total).toBe(5);
    expect(figures.outcomes).toEqual({
      running: 1,
      completed: 2,
      rejectedAt: { A: 0, B: 1, C: 0 },
      failed: 0,
      needsAttention: 0,
      other: 1,
    });
  });

  it('reports step and end-to-end latency percentiles', () => {
    const figures = sagaFigures(
      [10, 20, 30, 40].map((ms) => ({ runtimeStatus: 'Completed', customStatus: completedSaga(ms) })),
    );
    expect(figures.latency.endToEnd).toEqual({ count: 4, p50Ms: 60, p95Ms: 120, p99Ms: 120 });
    expect(figures.latency.steps.B).toEqual({ count: 4, p50Ms: 20, p95Ms: 40, p99Ms: 40 });
  });

  it('has no percentiles without samples', () => {
    expect(summarize([])).toEqual({ count: 0, p50Ms: null, p95Ms: null, p99Ms: null });
  });
});
