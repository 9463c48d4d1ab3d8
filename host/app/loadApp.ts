import path from 'node:path';
import { globSync } from 'tinyglobby';
import { StartupError } from '../config/startupError';
import { provideCoreModule, type CoreRegistrations } from './coreModule';

/**
 * Loads the app's function files the way the Node worker does: package.json `main` is a file or a
 * glob, every match is required once, and the registrations they make are what the host runs.
 */
export function loadApp(appDir: string, main: string): CoreRegistrations {
  const registrations = provideCoreModule();
  const files = globSync(main, { cwd: appDir, absolute: true, onlyFiles: true }).sort();
  if (files.length === 0) {
    throw new StartupError(`package.json "main" (${main}) matches no file in ${appDir}. Did you build the app?`);
  }
  for (const file of files) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- app files load through the CommonJS loader, where provideCoreModule hooks @azure/functions
      require(file);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new StartupError(`Loading ${path.relative(appDir, file)} failed: ${message}`);
    }
  }
  if (registrations.functions.length === 0) {
    throw new StartupError(`No functions found: the files matched by "${main}" registered none.`);
  }
  if (!registrations.programmingModel) {
    throw new StartupError(
      'The app registered functions without a programming model; is @azure/functions 4.x installed in the app?',
    );
  }
  return registrations;
}
