import path from 'node:path';
import { globSync } from 'tinyglobby';
import { provideCoreModule } from '../../../host/app/coreModule';
import { replayAppOf, type ReplayApp } from '../../../host/replay/replayApp';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * The saga app as package.json `main` names it, but from its TypeScript sources (through vitest),
 * so the replay checks run against the code as it is now, not against the last build. The host's
 * `@azure/functions-core` is provided first, so the app's own registrations are what gets replayed.
 */
export async function sagaAppFromSources(): Promise<ReplayApp> {
  const registrations = provideCoreModule();
  const files = ['src/index.ts', ...globSync('src/functions/*.ts', { cwd: ROOT }).sort()];
  for (const file of files) await import(path.join(ROOT, file));
  return replayAppOf(registrations);
}
