import { SagaOutcome } from './sagaOutcome';
import { sagaStateSchema, SagaPhase, StepState } from './sagaState';

// GET /api/orders/{id} in domain terms: what the durable status says, translated to the order's
// words. The durable runtime status is kept as is, so support can match it with the task hub.

export interface DurableStatusSnapshot {
  readonly instanceId: string;
  readonly runtimeStatus: string;
  readonly customStatus?: unknown;
  readonly output?: unknown;
  readonly createdTime?: Date | string;
  readonly lastUpdatedTime?: Date | string;
}

export interface OrderView {
  readonly orderId: string;
  readonly runtimeStatus: string;
  /** "unknown" when the instance is not a saga of this app or has not reported yet. */
  readonly phase: SagaPhase | 'unknown';
  readonly steps: readonly StepState[];
  readonly deadlineAt?: string;
  readonly needsAttention: boolean;
  readonly outcome?: SagaOutcome;
  readonly createdAt?: string;
  readonly lastUpdatedAt?: string;
}

/** Runtime states in which the orchestrator can no longer finish what it started. */
const brokenRuntimeStates = new Set(['Failed', 'Terminated']);

export function toOrderView(status: DurableStatusSnapshot): OrderView {
  const parsed = sagaStateSchema.safeParse(status.customStatus);
  const state = parsed.success ? parsed.data : undefined;
  const outcome = isSagaOutcome(status.output) ? status.output : undefined;
  const broken = brokenRuntimeStates.has(status.runtimeStatus);
  return {
    orderId: status.instanceId,
    runtimeStatus: status.runtimeStatus,
    phase: broken ? 'failed' : (state?.phase ?? 'unknown'),
    steps: state?.steps ?? [],
    ...(state !== undefined ? { deadlineAt: state.deadlineAt } : {}),
    // A saga terminated or crashed midway may hold stock or money: a person has to look.
    needsAttention: broken || (state?.needsAttention ?? false),
    ...(outcome !== undefined ? { outcome } : {}),
    ...optionalTime('createdAt', status.createdTime),
    ...optionalTime('lastUpdatedAt', status.lastUpdatedTime),
  };
}

function isSagaOutcome(value: unknown): value is SagaOutcome {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as { status?: unknown; body?: unknown };
  return (
    (candidate.status === 200 || candidate.status === 400 || candidate.status === 500) &&
    typeof candidate.body === 'object' &&
    candidate.body !== null
  );
}

function optionalTime(name: 'createdAt' | 'lastUpdatedAt', value: Date | string | undefined): Record<string, string> {
  if (value === undefined) return {};
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? {} : { [name]: date.toISOString() };
}
