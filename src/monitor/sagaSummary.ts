import { DurableStatusSnapshot, toOrderView } from '../saga/orderView';
import { SagaPhase, SagaState, sagaStateSchema } from '../saga/sagaState';
import { sagaOrchestratorName } from '../saga/steps';

// The saga status column: the custom status in a few words. The phase comes from the order view
// the status URL uses (GET /api/orders/{id}), so the monitor and the API never disagree about
// whether a terminated saga needs attention.

export interface SagaSummary {
  /** "none" for instances of other orchestrators, "unknown" before the saga has reported. */
  readonly phase: SagaPhase | 'unknown' | 'none';
  readonly text: string;
  readonly needsAttention: boolean;
  /** The parsed custom status, when it is a saga state this app can read. */
  readonly state?: SagaState;
}

export function sagaSummary(status: DurableStatusSnapshot & { readonly name: string }): SagaSummary {
  if (status.name !== sagaOrchestratorName) return { phase: 'none', text: '–', needsAttention: false };
  const parsed = sagaStateSchema.safeParse(status.customStatus);
  const state = parsed.success ? parsed.data : undefined;
  const view = toOrderView(status);
  const attention = view.needsAttention ? ' – needs attention' : '';
  const withState = state === undefined ? {} : { state };
  if (state === undefined) {
    const text = status.runtimeStatus === 'Pending' ? 'not started yet' : 'no saga status';
    return { phase: view.phase, text: `${text}${attention}`, needsAttention: view.needsAttention };
  }

  const running = state.steps.find((step) => step.status === 'running');
  const stopped = state.stoppedBy;
  const stoppedStep = stopped === undefined ? undefined : state.steps.find((step) => step.step === stopped.step);
  const why =
    stopped === undefined
      ? ''
      : stopped.cause === 'business-rejection'
        ? (stoppedStep?.reason?.code ?? 'rejected')
        : stopped.cause;

  let text: string;
  if (status.runtimeStatus === 'Terminated') {
    text = `terminated${running !== undefined ? ` during step ${running.step}` : state.phase === 'compensating' ? ' while compensating' : ''}`;
  } else if (status.runtimeStatus === 'Failed') {
    text = 'orchestration failed';
  } else {
    switch (state.phase) {
      case 'running':
        text = running === undefined ? 'running' : `running step ${running.step} (${running.action})`;
        break;
      case 'compensating':
        text = `compensating after ${stopped?.step ?? '?'}: ${why}`;
        break;
      case 'completed':
        text = 'completed';
        break;
      case 'rejected':
        text = `rejected at ${stopped?.step ?? '?'}: ${why}`;
        break;
      case 'failed':
        text = `failed at ${stopped?.step ?? '?'}: ${why}`;
        break;
    }
  }
  if (status.runtimeStatus === 'Suspended') text = `suspended – ${text}`;
  return { phase: view.phase, text: `${text}${attention}`, needsAttention: view.needsAttention, ...withState };
}
