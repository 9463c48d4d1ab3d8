import type { RpcBinding } from '../app/coreModule';
import { FunctionIndexingError } from '../app/functionErrors';
import { resolveAppSettings } from './bindingExpressions';

/** `%setting%` in a binding's option, resolved at start; a missing setting puts the function in error. */
export function withAppSettings(text: string, fnName: string, env: NodeJS.ProcessEnv): string {
  try {
    return resolveAppSettings(text, env);
  } catch (error) {
    throw new FunctionIndexingError(fnName, (error as Error).message);
  }
}

const QUEUE_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/** A queue binding's queue name as the extension takes it (settings resolved, lowercased); an invalid one puts the function in error. */
export function queueNameOf(binding: RpcBinding, fnName: string, env: NodeJS.ProcessEnv): string {
  const raw = typeof binding.queueName === 'string' ? binding.queueName : '';
  const name = withAppSettings(raw, fnName, env).toLowerCase();
  if (!QUEUE_NAME.test(name))
    throw new FunctionIndexingError(
      fnName,
      `queue name "${raw}" is not valid (3-63 lowercase letters, digits and single hyphens).`,
    );
  return name;
}
