// The step table: the order of the saga and the activity names the orchestrator schedules. The
// orchestrator walks this table, so adding a step is one row plus its service.

export type StepKey = 'A' | 'B' | 'C';
export type DoActivityName = `doActivity${StepKey}`;
export type RejectActivityName = `rejectActivity${StepKey}`;

export interface SagaStepDefinition {
  readonly key: StepKey;
  /** What the step does, in the words the status URL shows. */
  readonly action: string;
  readonly doActivity: DoActivityName;
  readonly rejectActivity: RejectActivityName;
  /** The name under which the step's reference (reservation, payment, shipment id) is reported. */
  readonly refName: 'reservationId' | 'paymentId' | 'shipmentId';
}

export const sagaSteps: readonly SagaStepDefinition[] = [
  {
    key: 'A',
    action: 'reserve-stock',
    doActivity: 'doActivityA',
    rejectActivity: 'rejectActivityA',
    refName: 'reservationId',
  },
  {
    key: 'B',
    action: 'charge-payment',
    doActivity: 'doActivityB',
    rejectActivity: 'rejectActivityB',
    refName: 'paymentId',
  },
  {
    key: 'C',
    action: 'book-shipment',
    doActivity: 'doActivityC',
    rejectActivity: 'rejectActivityC',
    refName: 'shipmentId',
  },
];

export const sagaOrchestratorName = 'sagaOrchestrator';
/** v1/v2 only: runs one step's do-activity with its retries, as a sub-orchestration of the saga. */
export const sagaStepOrchestratorName = 'sagaStep';
export const recordIncidentActivityName = 'recordIncident' as const;

export function stepDefinition(key: StepKey): SagaStepDefinition {
  const step = sagaSteps.find((candidate) => candidate.key === key);
  if (step === undefined) throw new Error(`no saga step ${key}`);
  return step;
}

/** v2: before charging (step B), check the customer's credit without moving money. */
export const creditCheckActivityName = 'checkCredit' as const;

/**
 * What each saga version does. Instances keep the version they started with (host.json
 * `defaultVersion` at start), so a saga started under v1 finishes on the v1 path after v2 ships.
 */
export interface SagaVersionFeatures {
  readonly creditCheckBeforeCharge: boolean;
  /**
   * v3: the saga calls each do-activity itself, raced against a fresh deadline timer per attempt,
   * with its own backoff timers between attempts; v1 and v2 run each step in a sagaStep child.
   */
  readonly stepsCalledDirectly: boolean;
}

export function sagaVersionFeatures(version: string): SagaVersionFeatures {
  const parsed = Number.parseInt(version.split('.')[0] ?? '', 10);
  const major = Number.isFinite(parsed) ? parsed : 1;
  return { creditCheckBeforeCharge: major >= 2, stepsCalledDirectly: major >= 3 };
}
