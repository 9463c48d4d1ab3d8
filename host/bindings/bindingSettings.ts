import type { RpcBinding } from '../app/coreModule';
import { StartupError } from '../config/startupError';
import { resolveAppSettings } from './bindingExpressions';

/** `%setting%` in a binding's option, resolved at start; a missing setting is a StartupError naming the function. */
export function withAppSettings(text: string, fnName: string, env: NodeJS.ProcessEnv): string {
  try {
    return resolveAppSettings(text, env, `Function '${fnName}'`);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

const QUEUE_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/** A queue binding's queue name as the extension takes it (settings resolved, lowercased), or a StartupError. */
export function queueNameOf(binding: RpcBinding, fnName: string, env: NodeJS.ProcessEnv): string {
  const raw = typeof binding.queueName === 'string' ? binding.queueName : '';
  const name = withAppSettings(raw, fnName, env).toLowerCase();
  if (!QUEUE_NAME.test(name))
    throw new StartupError(
      `Function '${fnName}': queue name "${raw}" is not valid (3-63 lowercase letters, digits and single hyphens).`,
    );
  return name;
}
