import type { CoreHandler, CoreRegistrations } from './coreModule';
import type {
  AppChannel,
  AppInvocationRequest,
  AppInvocationResponse,
  FunctionLogEntry,
  NamedData,
} from './appInvocation';

/**
 * Runs the app's functions in this process the way the Node worker does: the library's
 * invocation model converts inputs and outputs, and the app's hooks run around the handler. A
 * language worker thread holds one; the replay tool holds one of its own.
 */
export class InProcessApp implements AppChannel {
  private readonly appHookData: Record<string, unknown> = {};
  private readonly handlers = new Map<string, { handler: CoreHandler; bindings: Record<string, unknown> }>();

  constructor(
    private readonly registrations: CoreRegistrations,
    private readonly functionLog: (entry: FunctionLogEntry) => void = () => undefined,
  ) {
    for (const { metadata, handler } of registrations.functions)
      this.handlers.set(metadata.name.toLowerCase(), { handler, bindings: metadata.bindings });
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

  async invoke(request: AppInvocationRequest): Promise<AppInvocationResponse> {
    const model = this.registrations.programmingModel;
    if (!model) throw new Error('No programming model registered.');
    const fn = this.handlers.get(request.functionName.toLowerCase());
    if (!fn) throw new Error(`The function '${request.functionName}' is not registered in this worker.`);
    const { invocationId, functionName } = request;
    const coreCtx = {
      invocationId,
      metadata: { name: functionName, bindings: fn.bindings },
      request: { inputData: request.inputData, triggerMetadata: request.triggerMetadata },
      state: 'invocation',
      log: (level: FunctionLogEntry['level'], category: string, message: string) =>
        this.functionLog({ level, category, functionName, invocationId, message }),
    } as Parameters<typeof model.getInvocationModel>[0];
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
    if (post.error !== undefined && post.error !== null) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows whatever the function or a hook threw, as the Functions host does
      throw post.error;
    }
    const response = await invocationModel.getResponse(context, post.result);
    return { returnValue: response.returnValue, outputData: (response.outputData ?? []) as NamedData[] };
  }
}
