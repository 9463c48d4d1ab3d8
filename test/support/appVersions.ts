import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The two libraries a Durable Functions app on the v4 Node model pins. */
export interface AppVersions {
  functions: string;
  durable: string;
}

const ROOT = path.resolve(__dirname, '../..');
const CACHE = path.join(ROOT, 'test-results/version-matrix');

export function versionsLabel(versions: AppVersions): string {
  return `@azure/functions ${versions.functions} + durable-functions ${versions.durable}`;
}

function installedVersion(appDir: string, name: string): string | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(appDir, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return manifest.version;
  } catch {
    return undefined;
  }
}

/** Written after an install that finished and was checked: an interrupted one is not reused. */
const MARKER = 'installed-versions.json';

function holds(appDir: string, versions: AppVersions): boolean {
  try {
    const marked = JSON.parse(fs.readFileSync(path.join(appDir, MARKER), 'utf8')) as AppVersions;
    return (
      marked.functions === versions.functions &&
      marked.durable === versions.durable &&
      installedVersion(appDir, '@azure/functions') === versions.functions &&
      installedVersion(appDir, 'durable-functions') === versions.durable
    );
  } catch {
    return false;
  }
}

/**
 * A copy of a fixture app with its own node_modules holding exactly these versions, under
 * test-results/ (not in git). The app resolves its own `@azure/functions` and `durable-functions`
 * there, as a deployed app does, never the project's; the host's `@azure/functions-core` hook
 * answers whichever copy asks. The install runs only when the folder does not already hold those
 * exact versions, so reruns cost a file copy.
 */
export async function installAppWithVersions(fixtureDir: string, versions: AppVersions): Promise<string> {
  const appDir = path.join(CACHE, `${path.basename(fixtureDir)}-${versions.functions}-${versions.durable}`);
  // The app's own files are copied every time, so an edit to the fixture reaches every cached copy.
  fs.mkdirSync(appDir, { recursive: true });
  fs.cpSync(fixtureDir, appDir, { recursive: true, filter: (source) => !source.includes('node_modules') });
  if (holds(appDir, versions)) return appDir;
  fs.rmSync(path.join(appDir, MARKER), { force: true });
  // The project's own npm run sets npm_config_* (local prefix among them) and npm_package_*; they
  // would point this install at the project, so it gets the plain environment and an explicit prefix.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^npm_(config_(local_prefix|prefix|global|workspaces?)|package_|lifecycle_)/i.test(key),
    ),
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    await run(
      npm,
      [
        'install',
        '--prefix',
        appDir,
        '--no-audit',
        '--no-fund',
        '--no-save',
        '--no-package-lock',
        // Exact versions: a copy in npm's cache is that version, no need to ask the registry again.
        '--prefer-offline',
        '--loglevel=error',
        `@azure/functions@${versions.functions}`,
        `durable-functions@${versions.durable}`,
      ],
      { cwd: appDir, env, shell: process.platform === 'win32' },
    );
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`npm could not install ${versionsLabel(versions)} in ${appDir}: ${stderr ?? String(error)}`, {
      cause: error,
    });
  }
  for (const [name, version] of [
    ['@azure/functions', versions.functions],
    ['durable-functions', versions.durable],
  ] as const) {
    const installed = installedVersion(appDir, name);
    if (installed !== version) throw new Error(`${appDir} holds ${name} ${String(installed)}, not ${version}.`);
  }
  fs.writeFileSync(path.join(appDir, MARKER), JSON.stringify(versions));
  return appDir;
}
