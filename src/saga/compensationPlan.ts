import { BusinessReason } from './activityContract';
import { StepKey } from './steps';

// The compensation rules of the saga contract, in one place:
// - a step that succeeded is compensated;
// - a step that failed with an error after its retries is compensated too, because the error may
//   have hidden a commit (a lost reply, a timeout after the write);
// - a step refused for a business reason changed nothing (the activity undoes its own partial work
//   before answering), so there is nothing to compensate.

export type StepSettlement =
  | { readonly kind: 'succeeded'; readonly ref: string }
  | { readonly kind: 'rejected'; readonly reason: BusinessReason }
  | { readonly kind: 'errored'; readonly error: string };

export function needsCompensation(settlement: StepSettlement): boolean {
  return settlement.kind !== 'rejected';
}

/**
 * The compensations to run, latest step first. They are scheduled together, so the order is only
 * the order in which they are dispatched and listed; each one is independent of the others.
 */
export function compensationOrder(toCompensate: readonly StepKey[]): StepKey[] {
  return [...toCompensate].reverse();
}
