import { BusinessReason } from './activityContract';
import { Order, orderTotalCents } from './orderInput';
import { SagaState, StopCause, stepState } from './sagaState';
import { sagaSteps, StepKey } from './steps';

// The orchestrator's output, in the spirit of an API error: { status, body }.
//   200 – the order went through: its reservation, payment and shipment ids.
//   400 – a business rule refused it; everything done before was compensated.
//   500 – an unexpected error or the deadline stopped it, or a compensation failed (needsAttention).

export interface CompletedBody {
  readonly outcome: 'completed';
  readonly orderId: string;
  readonly reservationId: string;
  readonly paymentId: string;
  readonly shipmentId: string;
  readonly amountCents: number;
  readonly currency: string;
}

export interface RejectedBody {
  readonly outcome: 'rejected';
  readonly orderId: string;
  readonly step: StepKey;
  readonly reason: BusinessReason;
  readonly compensated: readonly StepKey[];
}

export interface FailedBody {
  readonly outcome: 'failed';
  readonly orderId: string;
  readonly cause: StopCause | 'invalid-input';
  readonly step?: StepKey;
  readonly reason?: BusinessReason;
  readonly error?: string;
  readonly compensated: readonly StepKey[];
  readonly compensationFailed: readonly StepKey[];
  readonly needsAttention: boolean;
  /** Ids of the incident documents written for failed compensations. */
  readonly incidents: readonly string[];
  /** Failed compensations whose incident could not be written either: only the logs know them. */
  readonly incidentsNotRecorded: readonly StepKey[];
}

export type SagaOutcome =
  | { readonly status: 200; readonly body: CompletedBody }
  | { readonly status: 400; readonly body: RejectedBody }
  | { readonly status: 500; readonly body: FailedBody };

export interface IncidentRecords {
  readonly recorded: readonly string[];
  readonly notRecorded: readonly StepKey[];
}

export function completedOutcome(state: SagaState, order: Order): SagaOutcome {
  const ref = (key: StepKey): string => {
    const found = stepState(state, key).ref;
    if (found === undefined) throw new Error(`step ${key} completed without a reference`);
    return found;
  };
  const [a, b, c] = sagaSteps.map((step) => ref(step.key));
  if (a === undefined || b === undefined || c === undefined) throw new Error('the saga has three steps');
  return {
    status: 200,
    body: {
      outcome: 'completed',
      orderId: state.sagaId,
      reservationId: a,
      paymentId: b,
      shipmentId: c,
      amountCents: orderTotalCents(order),
      currency: order.currency,
    },
  };
}

export function stoppedOutcome(state: SagaState, incidents: IncidentRecords): SagaOutcome {
  const stoppedBy = state.stoppedBy;
  if (stoppedBy === undefined) throw new Error('stoppedOutcome needs a stopped saga');
  const compensated = stepsWith(state, 'compensated');
  const compensationFailed = stepsWith(state, 'compensation-failed');
  const stopped = stepState(state, stoppedBy.step);

  if (stoppedBy.cause === 'business-rejection' && stopped.reason !== undefined && !state.needsAttention) {
    return {
      status: 400,
      body: { outcome: 'rejected', orderId: state.sagaId, step: stoppedBy.step, reason: stopped.reason, compensated },
    };
  }
  return {
    status: 500,
    body: {
      outcome: 'failed',
      orderId: state.sagaId,
      cause: stoppedBy.cause,
      step: stoppedBy.step,
      ...(stopped.reason !== undefined ? { reason: stopped.reason } : {}),
      ...(stoppedBy.cause === 'deadline'
        ? { error: `the saga did not finish by its deadline ${state.deadlineAt}` }
        : stopped.error !== undefined
          ? { error: stopped.error }
          : {}),
      compensated,
      compensationFailed,
      needsAttention: state.needsAttention,
      incidents: incidents.recorded,
      incidentsNotRecorded: incidents.notRecorded,
    },
  };
}

/** The orchestration input could not be read: nothing was done, so nothing is compensated. */
export function invalidInputOutcome(sagaId: string, problem: string): SagaOutcome {
  return {
    status: 500,
    body: {
      outcome: 'failed',
      orderId: sagaId,
      cause: 'invalid-input',
      error: problem,
      compensated: [],
      compensationFailed: [],
      needsAttention: false,
      incidents: [],
      incidentsNotRecorded: [],
    },
  };
}

function stepsWith(state: SagaState, status: 'compensated' | 'compensation-failed'): StepKey[] {
  return state.steps.filter((step) => step.status === status).map((step) => step.step);
}
