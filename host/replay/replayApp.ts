import fs from 'node:fs';
import path from 'node:path';
import type { CoreRegistrations } from '../app/coreModule';
import { FunctionRegistry } from '../app/functionRegistry';
import { InProcessApp } from '../app/inProcessApp';
import { FunctionInvoker } from '../app/invokeFunction';
import { loadApp } from '../app/loadApp';
import { applyLocalSettings } from '../config/hostConfig';
import { StartupError } from '../config/startupError';
import { silentLogger } from '../logging/hostLogger';

/** The app's functions, loaded once, ready to have its orchestrators replayed. */
export interface ReplayApp {
  registry: FunctionRegistry;
  invoker: FunctionInvoker;
}

/** Wraps registrations made in this process (tests that load an app's sources themselves). */
export function replayAppOf(registrations: CoreRegistrations): ReplayApp {
  // Replay only runs orchestrator code, which cannot hurt the process: it runs here, not in a
  // worker. Its log lines are the old run's, not news: keep them quiet.
  return {
    registry: new FunctionRegistry(registrations),
    invoker: new FunctionInvoker(new InProcessApp(registrations), silentLogger),
  };
}

/**
 * Loads the app the way the host does (package.json `main`, settings from local.settings.json
 * unless the environment has them) but starts nothing: replay only runs orchestrator code.
 * One process holds one app, as with the host. Throws StartupError with a one-line reason.
 */
export function loadReplayApp(appDir: string): ReplayApp {
  const dir = path.resolve(appDir);
  const packageFile = path.join(dir, 'package.json');
  if (!fs.existsSync(packageFile))
    throw new StartupError(
      `No package.json found in ${dir}: replay loads the app from its "main" entry (use --app DIR).`,
    );
  let main: unknown;
  try {
    main = (JSON.parse(fs.readFileSync(packageFile, 'utf8')) as { main?: unknown }).main;
  } catch (error) {
    throw new StartupError(`package.json at ${packageFile} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof main !== 'string' || main.length === 0)
    throw new StartupError(`package.json in ${dir} has no "main" entry naming the function files.`);
  applyLocalSettings(dir);
  return replayAppOf(loadApp(dir, main));
}
