import type { WorkerLogLevel } from '../logging/logLevels';

/** RPC typed data as the worker protocol carries it (only the shapes this host produces). */
export type RpcTypedData =
  | { string: string }
  | { json: string }
  | { bytes: Uint8Array }
  | { http: Record<string, unknown> }
  | { int: number }
  | { double: number };

/** Text `JSON.parse` reads: a number, `true`, `false`, `null`, or text that opens an object, array or string. */
const MAY_BE_JSON = /^\s*(?:[[{"]|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?\s*$|(?:true|false|null)\s*$)/;

/**
 * A string as typed data the Node worker reads back to the same value. The worker JSON-parses
 * every `string` it gets and keeps the text when that fails, and for text that is no JSON (an
 * instance id) the failed parse cost an exception with a stack trace on every durable
 * invocation. Such text goes as `json`, the JSON of the string, which reads to the same string;
 * text that may parse goes as `string`, so it reads as the worker reads it (`"42"` as 42).
 */
export function stringData(text: string): RpcTypedData {
  return MAY_BE_JSON.test(text) ? { string: text } : { json: JSON.stringify(text) };
}

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

/**
 * Starts forwarding an HTTP trigger's request to the HTTP proxy of the worker that runs it (its
 * HttpUri capability), as the Functions host does right before it sends that worker the invocation.
 */
export type ForwardHttpRequest = (httpUri: string, invocationId: string) => void;

/** Where an app runs: a language worker (or, for the replay tool, this process). */
export interface AppChannel {
  invoke(request: AppInvocationRequest, forwardHttp?: ForwardHttpRequest): Promise<AppInvocationResponse>;
}
