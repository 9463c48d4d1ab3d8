import { Container } from '@azure/cosmos';
import { BusinessReason, CompensationResult } from '../saga/activityContract';
import { Decision, readDocument, updateOptimistically } from './optimisticUpdate';
import { deadlinePassed, deadlinePassedReason, pruneMarkers } from './sagaMarkers';
import { storeFailure } from './storeErrors';

// Step B: charge the customer's account. The payments container (partition key /accountId) holds
// one account document per customer and one payment document per saga. The balance and the
// saga's charge marker live in the account document and change in one ETag-checked write; the
// payment document is the receipt, derived from the marker afterwards and only ever moving
// forward (charged → refunded), so a retry or a late duplicate can rewrite it but never undo it.

export interface AccountCharge {
  readonly amountCents: number;
  /** Absent on a fence: the saga was compensated before it ever charged. */
  readonly chargedAt?: string;
  readonly refundedAt?: string;
}

export interface AccountDocument {
  readonly id: string;
  readonly accountId: string;
  readonly type: 'account';
  readonly holder: string;
  readonly currency: string;
  readonly balanceCents: number;
  /** The most a single order may charge: above it the payment is refused as over the limit. */
  readonly perPaymentLimitCents: number;
  /** Saga id → what the saga charged and refunded. */
  readonly charges: Readonly<Record<string, AccountCharge>>;
}

export interface PaymentDocument {
  readonly id: string;
  readonly accountId: string;
  readonly type: 'payment';
  readonly sagaId: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly status: 'charged' | 'refunded';
  readonly chargedAt: string;
  readonly refundedAt?: string;
}

export interface ChargeRequest {
  readonly sagaId: string;
  readonly customerId: string;
  readonly amountCents: number;
  readonly currency: string;
}

export type ChargePaymentResult =
  { readonly ok: true; readonly paymentId: string } | { readonly ok: false; readonly reason: BusinessReason };

export function newAccountDocument(
  customerId: string,
  holder: string,
  currency: string,
  balanceCents: number,
  perPaymentLimitCents: number,
): AccountDocument {
  return {
    id: customerId,
    accountId: customerId,
    type: 'account',
    holder,
    currency,
    balanceCents,
    perPaymentLimitCents,
    charges: {},
  };
}

export function paymentId(sagaId: string): string {
  return `payment-${sagaId}`;
}

export async function chargePayment(
  container: Container,
  request: ChargeRequest,
  now: Date = new Date(),
  deadlineAt?: Date,
): Promise<ChargePaymentResult> {
  const outcome = await updateOptimistically<AccountDocument, ChargeOutcome>(
    container,
    { id: request.customerId, partitionKey: request.customerId },
    (account) => decideCharge(account, request, now, deadlineAt),
    { operation: `charge ${request.customerId} for ${request.sagaId}` },
  );
  if (outcome.kind === 'refused') return { ok: false, reason: outcome.reason };
  await writeReceipt(container, request.customerId, request.sagaId, outcome.account, outcome.charge);
  return { ok: true, paymentId: paymentId(request.sagaId) };
}

/**
 * v2's credit check: would the charge go through? Reads the account and changes nothing, so it
 * needs no compensation; the charge itself still decides under ETag concurrency.
 */
export async function checkCredit(
  container: Container,
  request: ChargeRequest,
  now: Date = new Date(),
): Promise<CreditCheckResult> {
  const current = await readDocument<AccountDocument>(
    container,
    { id: request.customerId, partitionKey: request.customerId },
    `check credit of ${request.customerId}`,
  );
  const decision = decideCharge(current?.document, request, now);
  return decision.result.kind === 'refused'
    ? { ok: false, reason: decision.result.reason }
    : { ok: true, creditCheckId: `credit-${request.sagaId}` };
}

export type CreditCheckResult =
  { readonly ok: true; readonly creditCheckId: string } | { readonly ok: false; readonly reason: BusinessReason };

/** Compensation of step B. Idempotent; refunding what was never charged succeeds and moves no money. */
export async function refundPayment(
  container: Container,
  request: { readonly sagaId: string; readonly customerId: string },
  now: Date = new Date(),
): Promise<CompensationResult> {
  const outcome = await updateOptimistically<AccountDocument, RefundOutcome>(
    container,
    { id: request.customerId, partitionKey: request.customerId },
    (account) => decideRefund(account, request.sagaId, now),
    { operation: `refund ${request.customerId} for ${request.sagaId}` },
  );
  // Also when the refund happened in an earlier attempt: that attempt may have died before the receipt.
  if (outcome.charge?.chargedAt !== undefined && outcome.account !== undefined) {
    await writeReceipt(container, request.customerId, request.sagaId, outcome.account, outcome.charge);
  }
  return { effect: outcome.effect };
}

type ChargeOutcome =
  | { readonly kind: 'charged'; readonly account: AccountDocument; readonly charge: AccountCharge }
  | { readonly kind: 'refused'; readonly reason: BusinessReason };

interface RefundOutcome {
  readonly effect: CompensationResult['effect'];
  readonly account?: AccountDocument;
  readonly charge?: AccountCharge;
}

export function decideCharge(
  account: AccountDocument | undefined,
  request: ChargeRequest,
  now: Date,
  deadlineAt?: Date,
): Decision<AccountDocument, ChargeOutcome> {
  const refuse = (reason: BusinessReason): Decision<AccountDocument, ChargeOutcome> => ({
    kind: 'keep',
    result: { kind: 'refused', reason },
  });
  if (account === undefined) {
    return refuse({ code: 'unknown-account', message: `no payment account for customer ${request.customerId}` });
  }
  const existing = account.charges[request.sagaId];
  if (existing?.refundedAt !== undefined) {
    return refuse({ code: 'payment-cancelled', message: 'the payment for this order was already cancelled' });
  }
  if (existing?.chargedAt !== undefined)
    return { kind: 'keep', result: { kind: 'charged', account, charge: existing } };
  if (deadlineAt !== undefined && deadlinePassed(now, deadlineAt)) return refuse(deadlinePassedReason(deadlineAt));
  if (request.currency !== account.currency) {
    return refuse({
      code: 'currency-mismatch',
      message: `the order is in ${request.currency}, the account in ${account.currency}`,
    });
  }
  if (request.amountCents > account.perPaymentLimitCents) {
    return refuse({
      code: 'amount-over-limit',
      message: `${request.amountCents} cents exceeds the per-order limit of ${account.perPaymentLimitCents} cents`,
    });
  }
  if (request.amountCents > account.balanceCents) {
    return refuse({
      code: 'insufficient-funds',
      message: `${request.amountCents} cents requested, ${account.balanceCents} cents available`,
    });
  }
  const charge: AccountCharge = { amountCents: request.amountCents, chargedAt: now.toISOString() };
  const document: AccountDocument = {
    ...account,
    balanceCents: account.balanceCents - request.amountCents,
    charges: { ...pruneCharges(account.charges, now), [request.sagaId]: charge },
  };
  return { kind: 'write', document, result: { kind: 'charged', account: document, charge } };
}

export function decideRefund(
  account: AccountDocument | undefined,
  sagaId: string,
  now: Date,
): Decision<AccountDocument, RefundOutcome> {
  // No account means no charge could ever succeed for it: nothing to refund, nothing to fence.
  if (account === undefined) return { kind: 'keep', result: { effect: 'nothing-to-undo' } };
  const existing = account.charges[sagaId];
  if (existing?.refundedAt !== undefined) {
    return { kind: 'keep', result: { effect: 'nothing-to-undo', account, charge: existing } };
  }
  const at = now.toISOString();
  if (existing?.chargedAt === undefined) {
    // Fence: a charge for this saga arriving late (duplicate delivery) is refused from now on.
    const fence: AccountCharge = { amountCents: 0, refundedAt: at };
    return {
      kind: 'write',
      document: { ...account, charges: { ...pruneCharges(account.charges, now), [sagaId]: fence } },
      result: { effect: 'nothing-to-undo' },
    };
  }
  const refunded: AccountCharge = { ...existing, refundedAt: at };
  const document: AccountDocument = {
    ...account,
    balanceCents: account.balanceCents + existing.amountCents,
    charges: { ...pruneCharges(account.charges, now), [sagaId]: refunded },
  };
  return { kind: 'write', document, result: { effect: 'undone', account: document, charge: refunded } };
}

async function writeReceipt(
  container: Container,
  accountId: string,
  sagaId: string,
  account: AccountDocument,
  charge: AccountCharge,
): Promise<void> {
  const chargedAt = charge.chargedAt;
  if (chargedAt === undefined) return;
  const wanted: PaymentDocument = {
    id: paymentId(sagaId),
    accountId,
    type: 'payment',
    sagaId,
    amountCents: charge.amountCents,
    currency: account.currency,
    status: charge.refundedAt === undefined ? 'charged' : 'refunded',
    chargedAt,
    ...(charge.refundedAt !== undefined ? { refundedAt: charge.refundedAt } : {}),
  };
  const operation = `write receipt ${wanted.id}`;
  if (wanted.status === 'refunded') {
    // Refunded is the last state and its content comes from the account's marker, so writing it
    // over whatever is there is always right: one write, no read.
    try {
      await container.items.upsert(wanted);
    } catch (error) {
      throw storeFailure(operation, error);
    }
    return;
  }
  // A charge's receipt is new unless a retry wrote it already: create it, read only on a 409. It
  // never replaces a receipt, so it cannot turn a refunded one back into charged.
  await updateOptimistically<PaymentDocument, undefined>(
    container,
    { id: wanted.id, partitionKey: accountId },
    (receipt) =>
      receipt === undefined
        ? { kind: 'write', document: wanted, result: undefined }
        : { kind: 'keep', result: undefined },
    { operation, expectAbsent: true },
  );
}

function lastTouched(charge: AccountCharge): string {
  return charge.refundedAt ?? charge.chargedAt ?? new Date(0).toISOString();
}

function pruneCharges(charges: Readonly<Record<string, AccountCharge>>, now: Date): Record<string, AccountCharge> {
  return pruneMarkers(charges, lastTouched, now);
}
