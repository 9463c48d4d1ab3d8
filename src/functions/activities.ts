import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import {
  CompensationResult,
  IncidentResult,
  incidentInputSchema,
  StepActivityInput,
  stepActivityInputSchema,
  StepResult,
} from '../saga/activityContract';
import { orderTotalCents } from '../saga/orderInput';
import { creditCheckActivityName, recordIncidentActivityName, sagaSteps } from '../saga/steps';
import { SagaStores } from '../services/containers';
import { sharedSagaStores } from '../services/cosmosClient';
import { recordIncident } from '../services/incidents';
import { releaseStock, reserveStock } from '../services/inventory';
import { chargePayment, checkCredit, refundPayment } from '../services/payment';
import { bookShipment, cancelShipment } from '../services/shipping';

// The saga's activities, bound to the Cosmos services once. Business failures come back as
// results ({ ok: false, reason }); anything thrown is retried by the orchestrator's
// callActivityWithRetry. Logs carry ids and outcome codes only, never order contents.

export interface SagaActivities {
  readonly doActivityA: (input: unknown) => Promise<StepResult>;
  readonly rejectActivityA: (input: unknown) => Promise<CompensationResult>;
  readonly doActivityB: (input: unknown) => Promise<StepResult>;
  readonly rejectActivityB: (input: unknown) => Promise<CompensationResult>;
  readonly doActivityC: (input: unknown) => Promise<StepResult>;
  readonly rejectActivityC: (input: unknown) => Promise<CompensationResult>;
  readonly recordIncident: (input: unknown) => Promise<IncidentResult>;
  /** v2 only: the credit check before step B. */
  readonly checkCredit: (input: unknown) => Promise<StepResult>;
}

/** The activity handlers over the given stores; `clock` is injectable for tests. */
export function createSagaActivities(
  stores: () => Promise<SagaStores>,
  clock: () => Date = () => new Date(),
): SagaActivities {
  return {
    async doActivityA(input) {
      const { sagaId, order, deadlineAt } = parseStepInput('doActivityA', input);
      const result = await reserveStock(
        (await stores()).inventory,
        sagaId,
        order.lines,
        clock(),
        deadlineOf(deadlineAt),
      );
      return result.ok ? { ok: true, ref: result.reservationId } : result;
    },
    async rejectActivityA(input) {
      const { sagaId, order } = parseStepInput('rejectActivityA', input);
      return releaseStock((await stores()).inventory, sagaId, order.lines, clock());
    },
    async doActivityB(input) {
      const { sagaId, order, deadlineAt } = parseStepInput('doActivityB', input);
      const result = await chargePayment(
        (await stores()).payments,
        { sagaId, customerId: order.customerId, amountCents: orderTotalCents(order), currency: order.currency },
        clock(),
        deadlineOf(deadlineAt),
      );
      return result.ok ? { ok: true, ref: result.paymentId } : result;
    },
    async rejectActivityB(input) {
      const { sagaId, order } = parseStepInput('rejectActivityB', input);
      return refundPayment((await stores()).payments, { sagaId, customerId: order.customerId }, clock());
    },
    async doActivityC(input) {
      const { sagaId, order, deadlineAt } = parseStepInput('doActivityC', input);
      const result = await bookShipment((await stores()).shipments, sagaId, order, clock(), deadlineOf(deadlineAt));
      return result.ok ? { ok: true, ref: result.shipmentId } : result;
    },
    async rejectActivityC(input) {
      const { sagaId } = parseStepInput('rejectActivityC', input);
      return cancelShipment((await stores()).shipments, sagaId, clock());
    },
    async recordIncident(input) {
      const parsed = incidentInputSchema.safeParse(input);
      if (!parsed.success) throw new ActivityInputError(recordIncidentActivityName, parsed.error.message);
      return recordIncident((await stores()).incidents, parsed.data, clock());
    },
    async checkCredit(input) {
      const { sagaId, order } = parseStepInput(creditCheckActivityName, input);
      const result = await checkCredit(
        (await stores()).payments,
        { sagaId, customerId: order.customerId, amountCents: orderTotalCents(order), currency: order.currency },
        clock(),
      );
      return result.ok ? { ok: true, ref: result.creditCheckId } : result;
    },
  };
}

/** The activity was called with an input it cannot read: a bug or a version mismatch, not the data. */
export class ActivityInputError extends Error {
  constructor(activity: string, detail: string) {
    super(`${activity} received an unreadable input: ${detail}`);
    this.name = 'ActivityInputError';
  }
}

function parseStepInput(activity: string, input: unknown): StepActivityInput {
  const parsed = stepActivityInputSchema.safeParse(input);
  if (!parsed.success) throw new ActivityInputError(activity, parsed.error.message);
  return parsed.data;
}

function deadlineOf(deadlineAt: string | undefined): Date | undefined {
  return deadlineAt === undefined ? undefined : new Date(deadlineAt);
}

function describeOutcome(result: unknown): string {
  if (result === null || typeof result !== 'object') return 'done';
  const value = result as {
    ok?: unknown;
    ref?: unknown;
    reason?: { code?: unknown };
    effect?: unknown;
    incidentId?: unknown;
  };
  if (value.ok === true) return `ok ${String(value.ref)}`;
  if (value.ok === false) return `refused ${String(value.reason?.code)}`;
  if (typeof value.effect === 'string') return value.effect;
  return typeof value.incidentId === 'string' ? `recorded ${value.incidentId}` : 'done';
}

function sagaIdOf(input: unknown): string {
  const sagaId = input !== null && typeof input === 'object' ? (input as { sagaId?: unknown }).sagaId : undefined;
  return typeof sagaId === 'string' ? sagaId : '?';
}

const activities = createSagaActivities(() => sharedSagaStores());

function register(name: keyof SagaActivities): void {
  df.app.activity(name, {
    handler: async (input: unknown, context: InvocationContext) => {
      const sagaId = sagaIdOf(input);
      try {
        const result = await activities[name](input);
        context.log(`${name} saga=${sagaId}: ${describeOutcome(result)}`);
        return result;
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        context.warn(`${name} saga=${sagaId}: threw ${message}`);
        throw error;
      }
    },
  });
}

for (const step of sagaSteps) {
  register(step.doActivity);
  register(step.rejectActivity);
}
register(recordIncidentActivityName);
register(creditCheckActivityName);
