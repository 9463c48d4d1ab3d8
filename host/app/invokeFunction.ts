import { randomUUID } from 'node:crypto';
import type { HostLogger } from '../logging/hostLogger';
import { LogLevelFilter, type WorkerLogLevel } from '../logging/logLevels';
import type { CoreRegistrations } from './coreModule';
import type { RegisteredFunction } from './functionRegistry';

/** RPC typed data as the worker protocol carries it (only the shapes this host produces). */
export type RpcTypedData =
  | { string: string }
  | { json: string }
  | { bytes: Uint8Array }
  | { http: Record<string, unknown> }
  | { int: number }
  | { double: number };

export interface Invocation {
  fn: RegisteredFunction;
  trigger: RpcTypedData;
  /**
   * The origin the request came in on (HTTP triggers): the durable client's status URLs name it,
   * as the extension names the request's host. Other triggers get the host's own origin.
   */
  requestOrigin?: string;
  triggerMetadata?: Record<string, RpcTypedData>;
}

/**
 * The data of a `durableClient` input binding. Every trigger kind gets it (HTTP, timer, queue, blob,
 * activity, entity), as the extension binds it wherever an app declares it.
 */
export type DurableClientInput = (requestOrigin: string | undefined) => RpcTypedData;

/** Input and output bindings beyond the trigger (blobs, queues), applied around every invocation. */
export interface InvocationBindings {
  inputs(invocation: Invocation): Promise<{ name: string; data: RpcTypedData }[]>;
  outputs(
    invocation: Invocation,
    response: { returnValue: unknown; outputData: { name: string; data: RpcTypedData }[] },
  ): Promise<void>;
}

export interface InvocationResult {
  invocationId: string;
  /** The return value as RPC typed data; undefined when the function returned nothing. */
  returnValue: unknown;
}

/**
 * Runs one function the way the Node worker does: the library's invocation model converts inputs
 * and outputs, and the app's pre/post invocation hooks run around the handler.
 */
export class FunctionInvoker {
  private readonly appHookData: Record<string, unknown> = {};
  private bindings: InvocationBindings | undefined;
  private durableClient: DurableClientInput | undefined;

  constructor(
    private readonly registrations: CoreRegistrations,
    private readonly logger: HostLogger,
    private readonly logLevels: LogLevelFilter = LogLevelFilter.default,
  ) {}

  useBindings(bindings: InvocationBindings): void {
    this.bindings = bindings;
  }

  useDurableClient(input: DurableClientInput): void {
    this.durableClient = input;
  }

  private clientInputs(invocation: Invocation): { name: string; data: RpcTypedData }[] {
    const { durableClient } = this;
    const names = invocation.fn.clientBindingNames;
    if (names.length === 0) return [];
    if (!durableClient)
      throw new Error(`Function '${invocation.fn.name}' has a durable client input, but no durable client is served.`);
    const data = durableClient(invocation.requestOrigin);
    return names.map((name) => ({ name, data }));
  }

  async runAppStartHooks(functionAppDirectory: string): Promise<void> {
    for (const hook of this.registrations.hooksFor('appStart')) {
      await hook({ hookData: this.appHookData, appHookData: this.appHookData, functionAppDirectory });
    }
  }

  async runAppTerminateHooks(): Promise<void> {
    for (const hook of this.registrations.hooksFor('appTerminate')) {
      await hook({ hookData: this.appHookData, appHookData: this.appHookData });
    }
  }

  async invoke(invocation: Invocation): Promise<InvocationResult> {
    const model = this.registrations.programmingModel;
    if (!model) throw new Error('No programming model registered.');
    const { fn } = invocation;
    const invocationId = randomUUID();
    const label = `${fn.name} ${invocationId.slice(0, 8)}`;
    const boundInputs = this.bindings ? await this.bindings.inputs(invocation) : [];
    const coreCtx = {
      invocationId,
      metadata: { name: fn.name, bindings: fn.metadata.bindings },
      request: {
        inputData: [
          { name: fn.triggerBindingName, data: invocation.trigger },
          ...this.clientInputs(invocation),
          ...boundInputs,
        ],
        triggerMetadata: invocation.triggerMetadata ?? {},
      },
      state: 'invocation',
      log: (level: WorkerLogLevel, category: string, message: string) =>
        this.log(level, category, fn.name, label, message),
    };
    const invocationModel = model.getInvocationModel(coreCtx);
    const { context, inputs: convertedInputs } = await invocationModel.getArguments();
    const hookData: Record<string, unknown> = {};
    const pre = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: context,
      inputs: convertedInputs,
      functionCallback: fn.handler,
    };
    for (const hook of this.registrations.hooksFor('preInvocation')) await hook(pre);

    this.logger.debug(`Executing 'Functions.${fn.name}' (Id=${invocationId})`);
    const started = performance.now();
    let result: unknown;
    let error: unknown;
    try {
      result = await invocationModel.invokeFunction(context, pre.inputs, pre.functionCallback);
    } catch (thrown) {
      error = thrown;
    }
    coreCtx.state = 'postInvocationHooks';
    const post = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: context,
      inputs: pre.inputs,
      result,
      error,
    };
    for (const hook of this.registrations.hooksFor('postInvocation')) await hook(post);
    const duration = Math.round(performance.now() - started);
    if (post.error !== undefined && post.error !== null) {
      this.logger.debug(`Executed 'Functions.${fn.name}' (Failed, Id=${invocationId}, Duration=${duration}ms)`);
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows whatever the function or a hook threw, as the Functions host does
      throw post.error;
    }
    this.logger.debug(`Executed 'Functions.${fn.name}' (Succeeded, Id=${invocationId}, Duration=${duration}ms)`);
    const response = await invocationModel.getResponse(context, post.result);
    await this.bindings?.outputs(invocation, {
      returnValue: response.returnValue,
      outputData: (response.outputData ?? []) as { name: string; data: RpcTypedData }[],
    });
    return { invocationId, returnValue: response.returnValue };
  }

  private log(level: WorkerLogLevel, category: string, functionName: string, label: string, message: string): void {
    if (category === 'system' && (level === 'debug' || level === 'trace')) return;
    // The Functions host files a function's own lines under Function.<name>.User, its host lines
    // under Function.<name>; host.json's logLevel rules pick by the most specific of those.
    const hostCategory = category === 'user' ? `Function.${functionName}.User` : `Function.${functionName}`;
    if (!this.logLevels.enabled(hostCategory, level)) return;
    const line = `[${label}] ${message}`;
    if (level === 'error' || level === 'critical') this.logger.error(line);
    else if (level === 'warning') this.logger.warn(line);
    else if (level === 'debug' || level === 'trace') this.logger.debug(line);
    else this.logger.info(line);
  }
}
