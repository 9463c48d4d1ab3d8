import { sagaStateSchema, SagaState } from './sagaState';
import { StepKey } from './steps';

// Saga-level figures in domain terms, computed from the durable statuses alone (runtime status and
// the saga's custom status), so they are the same on the local host and in Azure.

export interface SagaStatusSample {
  readonly runtimeStatus: string;
  readonly customStatus: unknown;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

export interface SagaFigures {
  readonly total: number;
  readonly outcomes: {
    readonly running: number;
    readonly completed: number;
    readonly rejectedAt: Readonly<Record<StepKey, number>>;
    readonly failed: number;
    readonly needsAttention: number;
    /** Terminated, failed before it wrote a status, or a status this version cannot read. */
    readonly other: number;
  };
  readonly latency: {
    readonly endToEnd: LatencySummary;
    readonly steps: Readonly<Record<StepKey, LatencySummary>>;
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
  };
}

const FINISHED_PHASES = new Set(['completed', 'rejected', 'failed']);

export function sagaFigures(samples: readonly SagaStatusSample[]): SagaFigures {
  const rejectedAt: Record<StepKey, number> = { A: 0, B: 0, C: 0 };
  let running = 0;
  let completed = 0;
  let failed = 0;
  let needsAttention = 0;
  let other = 0;
  const endToEnd: number[] = [];
  const steps: Record<StepKey, number[]> = { A: [], B: [], C: [] };
  for (const sample of samples) {
    const parsed = sagaStateSchema.safeParse(sample.customStatus);
    if (!parsed.success || sample.runtimeStatus === 'Terminated' || sample.runtimeStatus === 'Failed') {
      if (['Running', 'Pending', 'Suspended', 'ContinuedAsNew'].includes(sample.runtimeStatus)) running++;
      else other++;
      continue;
    }
    const state: SagaState = parsed.data;
    if (state.needsAttention) needsAttention++;
    const finished = sample.runtimeStatus === 'Completed' && FINISHED_PHASES.has(state.phase);
    if (!finished) running++;
    else if (state.phase === 'completed') completed++;
    else if (state.phase === 'rejected' && state.stoppedBy) rejectedAt[state.stoppedBy.step]++;
    else failed++;
    if (finished) endToEnd.push(Date.parse(state.updatedAt) - Date.parse(state.startedAt));
    for (const step of state.steps) {
      if (step.startedAt !== undefined && step.completedAt !== undefined)
        steps[step.step].push(Date.parse(step.completedAt) - Date.parse(step.startedAt));
    }
  }
  return {
    total: samples.length,
    outcomes: { running, completed, rejectedAt, failed, needsAttention, other },
    latency: {
      endToEnd: summarize(endToEnd),
      steps: { A: summarize(steps.A), B: summarize(steps.B), C: summarize(steps.C) },
    },
  };
}
