import { StartupError } from '../config/startupError';

export const WORKER_COUNT_SETTING = 'FUNCTIONS_WORKER_PROCESS_COUNT';
const MAX_PROCESS_COUNT = 10;

/**
 * FUNCTIONS_WORKER_PROCESS_COUNT as the Functions host reads it (RpcWorkerConfigFactory): unset
 * means 1, anything below 1 is 1, above 10 stops the start.
 */
export function workerCount(env: NodeJS.ProcessEnv): number {
  const text = env[WORKER_COUNT_SETTING]?.trim();
  if (!text) return 1;
  if (!/^[+-]?\d+$/.test(text)) throw new StartupError(`${WORKER_COUNT_SETTING} "${text}" is not a whole number.`);
  const count = Math.max(1, Number(text));
  if (count > MAX_PROCESS_COUNT)
    throw new StartupError(
      `${WORKER_COUNT_SETTING} ${count}: ProcessCount must not be greater than MaxProcessCount (${MAX_PROCESS_COUNT}).`,
    );
  return count;
}
