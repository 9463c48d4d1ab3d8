import type { AppInvocationRequest, AppInvocationResponse, FunctionLogEntry } from '../app/appInvocation';
import type { CoreFunctionMetadata } from '../app/coreModule';
import type { LocalRequest, LocalResponse } from '../http/httpServer';

/** What a language worker thread is started with (its workerData). */
export interface WorkerStart {
  appDir: string;
  /** package.json `main`: a file or a glob of the app's function files. */
  main: string;
}

/** Capability names and values, as the worker protocol's WorkerInitResponse carries them. */
export type WorkerCapabilities = Record<string, string>;

/**
 * Where the app's programming model serves HTTP triggers itself (`app.setup({ enableHttpStream:
 * true })`): the host forwards each HTTP request there instead of sending it in the invocation.
 */
export const HTTP_URI_CAPABILITY = 'HttpUri';

/** An error as it crosses to the host: structured clone keeps neither its class nor its extra fields. */
export interface WorkerError {
  message: string;
  stack?: string;
}

export type HostToWorker =
  | { type: 'invoke'; request: AppInvocationRequest }
  /** The host stops: run the appTerminate hooks, then say so. */
  | { type: 'terminate' }
  /** The Durable HTTP API's base URL as the durable client binding names it: send its calls here. */
  | { type: 'durableApi'; prefix: string }
  | { type: 'durableApiAnswer'; id: number; response: LocalResponse }
  | { type: 'durableApiFailed'; id: number; message: string };

export type WorkerToHost =
  /**
   * The app loaded and its appStart hooks ran: the functions' metadata, as FunctionMetadataResponse,
   * and the worker's capabilities as its WorkerInitResponse reports them.
   */
  | { type: 'ready'; functions: CoreFunctionMetadata[]; capabilities: WorkerCapabilities }
  /** The app could not load (a start-up error in one line). */
  | { type: 'loadFailed'; message: string }
  | { type: 'result'; invocationId: string; response: AppInvocationResponse }
  | { type: 'failed'; invocationId: string; error: WorkerError }
  | { type: 'functionLog'; entry: FunctionLogEntry }
  | { type: 'systemLog'; level: string; message: string }
  | { type: 'terminated' }
  /** A durable client call of the app, for the host's Durable HTTP API. */
  | { type: 'durableApiRequest'; id: number; request: LocalRequest };
