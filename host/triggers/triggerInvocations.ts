import type { RegisteredFunction } from '../app/functionRegistry';
import type { FunctionInvoker } from '../app/invokeFunction';
import type { HostLogger } from '../logging/hostLogger';
import type { InvocationTracker } from './invocationTracker';

/** What a trigger listener needs to run a function: the invoker and bookkeeping. */
export interface TriggerInvocations {
  invoker: FunctionInvoker;
  tracker: InvocationTracker;
  logger: HostLogger;
}

/**
 * `AzureWebJobs.<name>.Disabled` (or with underscores, the form Linux plans need), as the Functions
 * host reads it: a disabled function's trigger does not run.
 */
export function isDisabled(fn: RegisteredFunction, env: NodeJS.ProcessEnv): boolean {
  const wanted = [`azurewebjobs.${fn.name}.disabled`, `azurewebjobs_${fn.name}_disabled`].map((n) => n.toLowerCase());
  const key = Object.keys(env).find((k) => wanted.includes(k.toLowerCase()));
  const value = key === undefined ? undefined : env[key]?.trim().toLowerCase();
  return value === 'true' || value === '1';
}

/** The line the Functions host logs when an invocation throws. */
export function failureLine(fn: RegisteredFunction, error: unknown): string {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `Executed 'Functions.${fn.name}' (Failed): ${message}`;
}
