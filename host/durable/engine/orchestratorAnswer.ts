import type { EntityIdWire } from './entityMessages';

/** The orchestrator's answer (the SDK's OrchestratorState), as the host reads it. */
export enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  ScheduledSignalEntity = 10,
  WhenAny = 11,
  WhenAll = 12,
  LockEntities = 13,
  ReleaseEntities = 14,
}

export interface RetryOptionsWire {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** callHttp's request (the SDK's DurableHttpRequest). */
export interface DurableHttpRequestWire {
  method: string;
  uri: string;
  content?: string;
  headers?: Record<string, string>;
  tokenSource?: unknown;
  asynchronousPatternEnabled?: boolean;
}

export interface OrchestratorAction {
  actionType: ActionType;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  version?: string;
  retryOptions?: RetryOptionsWire;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  httpRequest?: DurableHttpRequestWire;
  /** Entity operation name (callEntity / signalEntity). */
  operation?: string;
  /**
   * LockEntities (schema V4): the entities to lock, sorted by the SDK; and the SDK's request id,
   * unused like in the extension (its `LockAsync` makes its own id, and the SDK re-keys the task
   * by the id in the recorded EventSent).
   */
  lockSet?: EntityIdWire[];
  lockRequestId?: string;
  compoundActions?: OrchestratorAction[];
}

export interface OrchestratorAnswer {
  isDone: boolean;
  actions: OrchestratorAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
}

const OOPROC_MARKER = '\n\n$OutOfProcData$:';

/**
 * Reads what the SDK's handler produced: a returned OrchestratorState, or a thrown error whose
 * message carries the state after `$OutOfProcData$:` (an orchestrator that threw).
 */
export function readAnswer(returned: unknown, thrown: unknown): { answer: OrchestratorAnswer; threw: boolean } {
  if (thrown !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown non-Error has no message; its String() is all there is
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    const at = message.indexOf(OOPROC_MARKER);
    if (at >= 0) {
      const answer = JSON.parse(message.slice(at + OOPROC_MARKER.length)) as OrchestratorAnswer;
      return { answer, threw: true };
    }
    return { answer: { isDone: false, actions: [[]], error: message }, threw: true };
  }
  const answer = (typeof returned === 'string' ? JSON.parse(returned) : returned) as OrchestratorAnswer | undefined;
  if (!answer || !Array.isArray(answer.actions)) {
    return {
      answer: {
        isDone: false,
        actions: [[]],
        error:
          'The orchestrator function did not return an orchestration state; is it registered with df.app.orchestration?',
      },
      threw: true,
    };
  }
  return { answer, threw: false };
}
