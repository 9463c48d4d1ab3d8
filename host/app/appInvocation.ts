import type { WorkerLogLevel } from '../logging/logLevels';

/** RPC typed data as the worker protocol carries it (only the shapes this host produces). */
export type RpcTypedData =
  | { string: string }
  | { json: string }
  | { bytes: Uint8Array }
  | { http: Record<string, unknown> }
  | { int: number }
  | { double: number };

export interface NamedData {
  name: string;
  data: RpcTypedData;
}

/**
 * What the host sends a language worker to run one function, as the InvocationRequest of the
 * worker protocol: every input already bound (trigger, durable client, blobs, queues) by the host.
 */
export interface AppInvocationRequest {
  invocationId: string;
  functionName: string;
  inputData: NamedData[];
  triggerMetadata: Record<string, RpcTypedData>;
}

/** The InvocationResponse: the return value and output bindings, still as RPC typed data. */
export interface AppInvocationResponse {
  returnValue: unknown;
  outputData: NamedData[];
}

/** One line an invocation logs through `context.log` (category 'user') or the library ('system'). */
export interface FunctionLogEntry {
  level: WorkerLogLevel;
  category: string;
  functionName: string;
  invocationId: string;
  message: string;
}

/** Where an app runs: a language worker (or, for the replay tool, this process). */
export interface AppChannel {
  invoke(request: AppInvocationRequest): Promise<AppInvocationResponse>;
}
