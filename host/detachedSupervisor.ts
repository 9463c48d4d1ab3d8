import { removeRecord, stillRuns, stopDetached, type DetachedRecord } from './detachedProcess';

/**
 * Keeps a detached store this process owns (Azurite, the embedded Cosmos server) running: when
 * it dies (killed with -9, crashed), it is started again on the same ports and data, and the
 * work that failed meanwhile is retried by its callers, so nothing waits for a restart of the
 * whole stack. Said once when it is found dead and once when it is back.
 */
export interface SupervisedStore {
  /** The record of the process running now (a restart changes it). */
  current(): DetachedRecord;
  /** Stops watching, then stops the store gracefully and removes its pid file. */
  stop(): Promise<void>;
}

export interface SupervisorOptions {
  /** What the lines call it: "Azurite", "the embedded Cosmos-protocol server". */
  name: string;
  pidFile: string;
  /** Starts it again on the same ports and data; resolves once it serves. */
  restart(): Promise<DetachedRecord>;
  say: { warn(line: string): void; info(line: string): void };
  intervalMs?: number;
}

export function superviseDetached(record: DetachedRecord, options: SupervisorOptions): SupervisedStore {
  let current = record;
  let restarting: Promise<void> | undefined;
  let stopped = false;
  let failedRestarts = 0;
  const check = (): void => {
    if (stopped || restarting || stillRuns(current)) return;
    const gone = current.pid;
    if (failedRestarts === 0)
      options.say.warn(`${options.name} (pid ${gone}) is gone; starting it again on the same ports and data.`);
    restarting = options
      .restart()
      .then((next) => {
        current = next;
        failedRestarts = 0;
        options.say.info(`${options.name} is back (pid ${next.pid}).`);
      })
      .catch((error: unknown) => {
        // Tried again at the next check; one line for the first failure is enough.
        if (failedRestarts++ === 0)
          options.say.warn(
            `Starting ${options.name} again failed, retrying: ${error instanceof Error ? error.message : String(error)}`,
          );
      })
      .finally(() => {
        restarting = undefined;
      });
  };
  const timer = setInterval(check, options.intervalMs ?? 1000);
  timer.unref();
  return {
    current: () => current,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await restarting;
      await stopDetached(current.pid);
      removeRecord(options.pidFile, current.pid);
    },
  };
}
