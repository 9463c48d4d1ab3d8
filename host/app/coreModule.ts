import Module from 'node:module';

/**
 * The slice of `@azure/functions-core` that `@azure/functions` 4.x calls. The real Node worker
 * provides this module to the app; we provide our own so the app's `app.http(...)` and
 * `df.app.*(...)` registrations reach this host unchanged.
 */
export interface RpcBinding {
  type: string;
  direction: 'in' | 'out';
  name?: string;
  [key: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, RpcBinding>;
  retryOptions?: unknown;
}

export type CoreHandler = (...args: unknown[]) => unknown;

export interface CoreInvocationContext {
  invocationId: string;
  metadata: { name: string; bindings: Record<string, RpcBinding> };
  request: { inputData: { name: string; data: unknown }[]; triggerMetadata?: Record<string, unknown> };
  log(level: string, category: string, message: string): void;
  state?: string;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: CoreHandler): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: unknown; outputData?: unknown[] }>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
  getCapabilities?(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (context: Record<string, unknown>) => unknown;

/** What the app registered while its modules loaded. */
export class CoreRegistrations {
  programmingModel: ProgrammingModel | undefined;
  readonly functions: { metadata: CoreFunctionMetadata; handler: CoreHandler }[] = [];
  readonly hooks = new Map<HookName, HookCallback[]>();
  /** Log lines the library writes through `coreApi.log` (category 'system'). */
  systemLog: (level: string, message: string) => void = () => undefined;

  hooksFor(name: HookName): HookCallback[] {
    return this.hooks.get(name) ?? [];
  }
}

class Disposable {
  constructor(private readonly onDispose: () => void) {}
  dispose(): void {
    this.onDispose();
  }
}

function createCoreApi(registrations: CoreRegistrations): Record<string, unknown> {
  return {
    version: '3.10.1',
    hostVersion: '4.1037.0',
    Disposable,
    setProgrammingModel(model: ProgrammingModel): void {
      registrations.programmingModel = model;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return registrations.programmingModel;
    },
    registerFunction(metadata: CoreFunctionMetadata, handler: CoreHandler): Disposable {
      if (registrations.functions.some((f) => f.metadata.name.toLowerCase() === metadata.name.toLowerCase())) {
        throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
      }
      const entry = { metadata, handler };
      registrations.functions.push(entry);
      return new Disposable(() => {
        const index = registrations.functions.indexOf(entry);
        if (index >= 0) registrations.functions.splice(index, 1);
      });
    },
    registerHook(name: HookName, callback: HookCallback): Disposable {
      const list = registrations.hooks.get(name) ?? [];
      list.push(callback);
      registrations.hooks.set(name, list);
      return new Disposable(() => {
        const index = list.indexOf(callback);
        if (index >= 0) list.splice(index, 1);
      });
    },
    log(level: string, _category: string, message: string): void {
      registrations.systemLog(level, message);
    },
  };
}

const CORE_MODULE = '@azure/functions-core';
let installed: { registrations: CoreRegistrations } | undefined;

/**
 * Makes `require('@azure/functions-core')` answer with our API from now on, for every module of
 * this process. One host process serves one app, so one set of registrations is enough.
 */
export function provideCoreModule(): CoreRegistrations {
  if (installed) return installed.registrations;
  const registrations = new CoreRegistrations();
  const api = createCoreApi(registrations);
  const moduleWithLoad = Module as unknown as {
    _load: (this: unknown, request: string, parent: unknown, isMain: boolean) => unknown;
  };
  const originalLoad = moduleWithLoad._load;
  moduleWithLoad._load = function load(request: string, parent: unknown, isMain: boolean): unknown {
    if (request === CORE_MODULE) return api;
    return originalLoad.call(this, request, parent, isMain);
  };
  installed = { registrations };
  return registrations;
}
