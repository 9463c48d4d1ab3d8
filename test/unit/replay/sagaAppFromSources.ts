import path from 'node:path';
import * as df from 'durable-functions';
import type { OrchestrationHandler, OrchestrationOptions } from 'durable-functions';
import { globSync } from 'tinyglobby';
import { provideCoreModule } from '../../../host/app/coreModule';
import { replayAppOf, type ReplayApp } from '../../../host/replay/replayApp';

const ROOT = path.resolve(__dirname, '../../..');
const SAGA = 'sagaOrchestrator';

/** A deliberate change to the saga orchestrator: gets the real one, returns the changed one. */
export type SagaChange = (saga: OrchestrationHandler) => OrchestrationHandler;

/**
 * The saga app as package.json `main` names it, but from its TypeScript sources (through vitest),
 * so the replay checks run against the code as it is now, not against the last build. The host's
 * `@azure/functions-core` is provided first, so the app's own registrations are what gets
 * replayed. With `change`, the saga orchestrator is registered changed (the rest as it is).
 * One app per process, as with the host: vitest runs each test file in a process of its own.
 */
export async function sagaAppFromSources(change?: SagaChange): Promise<ReplayApp> {
  const registrations = provideCoreModule();
  const register = df.app.orchestration;
  let saga: OrchestrationHandler | undefined;
  if (change) {
    const capture = (name: string, handlerOrOptions: OrchestrationHandler | OrchestrationOptions): unknown => {
      const options = typeof handlerOrOptions === 'function' ? { handler: handlerOrOptions } : handlerOrOptions;
      if (name !== SAGA) return register(name, options);
      saga = options.handler;
      return undefined;
    };
    // The saga module registers at load; nothing uses what registration returns.
    df.app.orchestration = capture as typeof df.app.orchestration;
  }
  try {
    const files = ['src/index.ts', ...globSync('src/functions/*.ts', { cwd: ROOT }).sort()];
    for (const file of files) await import(path.join(ROOT, file));
  } finally {
    df.app.orchestration = register;
  }
  if (change) {
    if (!saga) throw new Error(`src/functions registers no ${SAGA}`);
    register(SAGA, change(saga));
  }
  return replayAppOf(registrations);
}
