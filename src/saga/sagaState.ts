import { z } from 'zod';
import { businessReasonSchema, BusinessReason } from './activityContract';
import { SagaStepDefinition, StepKey } from './steps';

// The saga's custom status: what the status URL shows while the saga runs and after it ends. All
// times come from the orchestrator's replay-safe clock (context.df.currentUtcDateTime) and are
// passed in, so these functions stay pure and replay gives the same status every time.

export const stepStatuses = [
  'pending',
  'running',
  'completed',
  'failed',
  'compensated',
  'compensation-failed',
] as const;
export type StepStatus = (typeof stepStatuses)[number];

export const sagaPhases = ['running', 'compensating', 'completed', 'rejected', 'failed'] as const;
export type SagaPhase = (typeof sagaPhases)[number];

export const stopCauses = ['business-rejection', 'step-error', 'deadline'] as const;
export type StopCause = (typeof stopCauses)[number];

const stepStateSchema = z.object({
  step: z.enum(['A', 'B', 'C']),
  action: z.string(),
  status: z.enum(stepStatuses),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  failedAt: z.string().optional(),
  compensatedAt: z.string().optional(),
  ref: z.string().optional(),
  reason: businessReasonSchema.optional(),
  /** Why the step itself failed (after its retries). */
  error: z.string().optional(),
  /** Why undoing it failed (after its retries). */
  compensationError: z.string().optional(),
});
export type StepState = z.infer<typeof stepStateSchema>;

/** Parses a custom status read back from the durable store (it may be from another app version). */
export const sagaStateSchema = z.object({
  sagaId: z.string(),
  phase: z.enum(sagaPhases),
  startedAt: z.string(),
  deadlineAt: z.string(),
  updatedAt: z.string(),
  steps: z.array(stepStateSchema),
  stoppedBy: z.object({ step: z.enum(['A', 'B', 'C']), cause: z.enum(stopCauses) }).optional(),
  needsAttention: z.boolean(),
});
export type SagaState = z.infer<typeof sagaStateSchema>;

export function newSagaState(
  sagaId: string,
  steps: readonly SagaStepDefinition[],
  at: string,
  deadlineAt: string,
): SagaState {
  return {
    sagaId,
    phase: 'running',
    startedAt: at,
    deadlineAt,
    updatedAt: at,
    steps: steps.map((step) => ({ step: step.key, action: step.action, status: 'pending' })),
    needsAttention: false,
  };
}

export function stepStarted(state: SagaState, step: StepKey, at: string): SagaState {
  return updateStep(state, step, at, { status: 'running', startedAt: at });
}

export function stepCompleted(state: SagaState, step: StepKey, ref: string, at: string): SagaState {
  return updateStep(state, step, at, { status: 'completed', completedAt: at, ref });
}

export function stepRejected(state: SagaState, step: StepKey, reason: BusinessReason, at: string): SagaState {
  return updateStep(state, step, at, { status: 'failed', failedAt: at, reason });
}

export function stepErrored(state: SagaState, step: StepKey, error: string, at: string): SagaState {
  return updateStep(state, step, at, { status: 'failed', failedAt: at, error });
}

export function sagaStopped(state: SagaState, step: StepKey, cause: StopCause, at: string): SagaState {
  return { ...state, phase: 'compensating', stoppedBy: { step, cause }, updatedAt: at };
}

export function stepCompensated(state: SagaState, step: StepKey, at: string): SagaState {
  return updateStep(state, step, at, { status: 'compensated', compensatedAt: at });
}

export function stepCompensationFailed(state: SagaState, step: StepKey, error: string, at: string): SagaState {
  return {
    ...updateStep(state, step, at, { status: 'compensation-failed', compensationError: error }),
    needsAttention: true,
  };
}

export function sagaCompleted(state: SagaState, at: string): SagaState {
  return { ...state, phase: 'completed', updatedAt: at };
}

/**
 * The end of a stopped saga: "rejected" when a business rule stopped it and every compensation
 * held, "failed" otherwise (unexpected error, deadline, or an order left half-undone).
 */
export function sagaFinishedCompensating(state: SagaState, at: string): SagaState {
  const rejected = state.stoppedBy?.cause === 'business-rejection' && !state.needsAttention;
  return { ...state, phase: rejected ? 'rejected' : 'failed', updatedAt: at };
}

export function stepState(state: SagaState, step: StepKey): StepState {
  const found = state.steps.find((candidate) => candidate.step === step);
  if (found === undefined) throw new Error(`saga state has no step ${step}`);
  return found;
}

function updateStep(state: SagaState, step: StepKey, at: string, patch: Partial<StepState>): SagaState {
  return {
    ...state,
    updatedAt: at,
    steps: state.steps.map((candidate) => (candidate.step === step ? { ...candidate, ...patch } : candidate)),
  };
}
