import { randomUUID } from 'node:crypto';
import type { HostLogger } from '../logging/hostLogger';
import { LogLevelFilter } from '../logging/logLevels';
import type { AppChannel, ForwardHttpRequest, FunctionLogEntry, NamedData, RpcTypedData } from './appInvocation';
import type { RegisteredFunction } from './functionRegistry';

export type { RpcTypedData } from './appInvocation';

export interface Invocation {
  fn: RegisteredFunction;
  trigger: RpcTypedData;
  /**
   * The origin the request came in on (HTTP triggers): the durable client's status URLs name it,
   * as the extension names the request's host. Other triggers get the host's own origin.
   */
  requestOrigin?: string;
  triggerMetadata?: Record<string, RpcTypedData>;
  /** An HTTP trigger of an app that streams HTTP: its request goes to the worker's proxy. */
  forwardHttp?: ForwardHttpRequest;
}

/**
 * The data of a `durableClient` input binding. Every trigger kind gets it (HTTP, timer, queue, blob,
 * activity, entity), as the extension binds it wherever an app declares it.
 */
export type DurableClientInput = (requestOrigin: string | undefined) => RpcTypedData;

/** Input and output bindings beyond the trigger (blobs, queues), applied around every invocation. */
export interface InvocationBindings {
  inputs(invocation: Invocation): Promise<NamedData[]>;
  outputs(invocation: Invocation, response: { returnValue: unknown; outputData: NamedData[] }): Promise<void>;
}

export interface InvocationResult {
  invocationId: string;
  /** The return value as RPC typed data; undefined when the function returned nothing. */
  returnValue: unknown;
}

/**
 * Writes an invocation's log lines as the Functions host files them: a function's own lines under
 * Function.<name>.User, its host lines under Function.<name>; host.json's logLevel rules pick by
 * the most specific of those.
 */
export function functionLogWriter(
  logger: HostLogger,
  logLevels: LogLevelFilter = LogLevelFilter.default,
): (entry: FunctionLogEntry) => void {
  return ({ level, category, functionName, invocationId, message }) => {
    if (category === 'system' && (level === 'debug' || level === 'trace')) return;
    const hostCategory = category === 'user' ? `Function.${functionName}.User` : `Function.${functionName}`;
    if (!logLevels.enabled(hostCategory, level)) return;
    const line = `[${functionName} ${invocationId.slice(0, 8)}] ${message}`;
    if (level === 'error' || level === 'critical') logger.error(line);
    else if (level === 'warning') logger.warn(line);
    else if (level === 'debug' || level === 'trace') logger.debug(line);
    else logger.info(line);
  };
}

/**
 * Runs one function as the Functions host does: binds its inputs here (trigger, durable client,
 * blobs, queues), has the app's language worker run it, and applies its output bindings here.
 */
export class FunctionInvoker {
  private bindings: InvocationBindings | undefined;
  private durableClient: DurableClientInput | undefined;

  constructor(
    private readonly channel: AppChannel,
    private readonly logger: HostLogger,
  ) {}

  useBindings(bindings: InvocationBindings): void {
    this.bindings = bindings;
  }

  useDurableClient(input: DurableClientInput): void {
    this.durableClient = input;
  }

  private clientInputs(invocation: Invocation): NamedData[] {
    const { durableClient } = this;
    const names = invocation.fn.clientBindingNames;
    if (names.length === 0) return [];
    if (!durableClient)
      throw new Error(`Function '${invocation.fn.name}' has a durable client input, but no durable client is served.`);
    const data = durableClient(invocation.requestOrigin);
    return names.map((name) => ({ name, data }));
  }

  async invoke(invocation: Invocation): Promise<InvocationResult> {
    const { fn } = invocation;
    const invocationId = randomUUID();
    const boundInputs = this.bindings ? await this.bindings.inputs(invocation) : [];
    this.logger.debug(`Executing 'Functions.${fn.name}' (Id=${invocationId})`);
    const started = performance.now();
    let response;
    try {
      response = await this.channel.invoke(
        {
          invocationId,
          functionName: fn.name,
          inputData: [
            { name: fn.triggerBindingName, data: invocation.trigger },
            ...this.clientInputs(invocation),
            ...boundInputs,
          ],
          triggerMetadata: invocation.triggerMetadata ?? {},
        },
        invocation.forwardHttp,
      );
    } catch (error) {
      const duration = Math.round(performance.now() - started);
      this.logger.debug(`Executed 'Functions.${fn.name}' (Failed, Id=${invocationId}, Duration=${duration}ms)`);
      throw error;
    }
    const duration = Math.round(performance.now() - started);
    this.logger.debug(`Executed 'Functions.${fn.name}' (Succeeded, Id=${invocationId}, Duration=${duration}ms)`);
    await this.bindings?.outputs(invocation, response);
    return { invocationId, returnValue: response.returnValue };
  }
}
