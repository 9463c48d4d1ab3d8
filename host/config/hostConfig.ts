import fs from 'node:fs';
import path from 'node:path';
import type { VersionFailureStrategy, VersionMatchStrategy, VersioningPolicy } from '../durable/engine/versioning';
import { LogLevelFilter } from '../logging/logLevels';
import { readQueueOptions, type QueueOptions } from '../triggers/queueOptions';
import { taskHubSettings, type DurableTaskJson } from './durabilityProvider';
import { StartupError } from './startupError';

/** Everything the host needs to know before it starts, from host.json, local.settings.json and flags. */
export interface HostConfig {
  appDir: string;
  port: number;
  /** 127.0.0.1 unless the user asks for another interface. */
  bindAddress: string;
  /** `extensions.http.routePrefix`, without slashes; '' when the app turned it off. */
  routePrefix: string;
  hubName: string;
  /** The app setting naming the task hub's storage, and the connection string it holds. */
  storageConnectionName: string;
  storageConnection: string;
  /** host.json names another durability provider: the line that says this host uses Azure Storage instead. */
  providerSubstitution: string | undefined;
  /** Where a started Azurite keeps its files; undefined = in memory. */
  azuriteLocation: string | undefined;
  packageMain: string;
  /** host.json names an extension bundle (the Functions host words unknown binding types by it). */
  extensionBundle: boolean;
  durable: DurableOptions;
  /** host.json `logging.logLevel`: which of the app's log lines are written. */
  logLevels: LogLevelFilter;
  /** `extensions.queues`: batching, polling and poison settings of queue triggers. */
  queues: QueueOptions;
}

export interface DurableOptions {
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  versioning: VersioningPolicy;
}

export interface HostFlags {
  appDir?: string;
  port?: number;
  bindAddress?: string;
  inMemoryStorage?: boolean;
}

interface HostJson {
  version?: string;
  extensionBundle?: unknown;
  logging?: { logLevel?: Record<string, unknown> };
  extensions?: {
    http?: { routePrefix?: string };
    queues?: Record<string, unknown>;
    durableTask?: DurableTaskJson & {
      maxConcurrentActivityFunctions?: number | string;
      maxConcurrentOrchestratorFunctions?: number | string;
      defaultVersion?: string | number;
      versionMatchStrategy?: string;
      versionFailureStrategy?: string;
    };
  };
}

function readJson(file: string, what: string): unknown {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StartupError(`${what} at ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Copies local.settings.json `Values` into the environment the way Core Tools does: a variable
 * that is already set wins, so a shell or CI can override any setting.
 */
export function applyLocalSettings(appDir: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = path.join(appDir, 'local.settings.json');
  const settings = readJson(file, 'local.settings.json') as
    { Values?: Record<string, string | number | boolean | null> } | undefined;
  for (const [key, value] of Object.entries(settings?.Values ?? {})) {
    if (env[key] === undefined && value !== null && value !== undefined) env[key] = String(value);
  }
}

const OVERRIDE_PREFIX = 'azurefunctionsjobhost__';

/**
 * The Functions host lets app settings override host.json: `AzureFunctionsJobHost__a__b=v`
 * sets `a.b` (keys matched case-insensitively). Values stay text; readers convert numbers.
 */
export function applyHostJsonOverrides(hostJson: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !name.toLowerCase().startsWith(OVERRIDE_PREFIX)) continue;
    const path = name
      .slice(OVERRIDE_PREFIX.length)
      .split('__')
      .filter((p) => p.length > 0);
    if (path.length === 0) continue;
    let node = hostJson;
    for (const [i, part] of path.entries()) {
      const key = Object.keys(node).find((k) => k.toLowerCase() === part.toLowerCase()) ?? part;
      if (i === path.length - 1) {
        node[key] = raw;
      } else {
        const next = node[key];
        node[key] = typeof next === 'object' && next !== null ? next : {};
        node = node[key] as Record<string, unknown>;
      }
    }
  }
}

function positive(value: number | string | undefined, fallback: number, setting: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new StartupError(
      `host.json extensions.durableTask.${setting} must be a positive whole number, not "${value}".`,
    );
  return n;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, setting: string): T {
  if (value === undefined) return fallback;
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!found)
    throw new StartupError(
      `host.json extensions.durableTask.${setting} "${value}" is not one of ${allowed.join(', ')}.`,
    );
  return found;
}

export function loadHostConfig(flags: HostFlags, env: NodeJS.ProcessEnv = process.env): HostConfig {
  const appDir = path.resolve(flags.appDir ?? '.');
  if (!fs.existsSync(appDir) || !fs.statSync(appDir).isDirectory()) {
    throw new StartupError(`The app directory ${appDir} does not exist.`);
  }
  const pkg = readJson(path.join(appDir, 'package.json'), 'package.json') as { main?: string } | undefined;
  if (!pkg) throw new StartupError(`No package.json found in ${appDir}: the host loads the app from its "main" entry.`);
  if (!pkg.main) throw new StartupError(`package.json in ${appDir} has no "main" entry naming the function files.`);
  const hostJson = readJson(path.join(appDir, 'host.json'), 'host.json') as HostJson | undefined;
  if (!hostJson) throw new StartupError(`No host.json found in ${appDir}.`);
  applyLocalSettings(appDir, env);
  applyHostJsonOverrides(hostJson as Record<string, unknown>, env);

  const durableTask = hostJson.extensions?.durableTask ?? {};
  const { hubName, storageConnectionName, substitution } = taskHubSettings(durableTask, env);
  const storageConnection = env[storageConnectionName];
  if (!storageConnection) {
    throw new StartupError(
      `The storage connection "${storageConnectionName}" is not set (local.settings.json Values or the environment).`,
    );
  }
  const routePrefix = (hostJson.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
  const port = flags.port ?? 7071;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartupError(`--port ${port} is not a TCP port.`);
  return {
    appDir,
    port,
    bindAddress: flags.bindAddress ?? '127.0.0.1',
    routePrefix,
    hubName,
    storageConnectionName,
    storageConnection,
    providerSubstitution: substitution,
    azuriteLocation: flags.inMemoryStorage ? undefined : path.join(appDir, '.azurite'),
    packageMain: pkg.main,
    extensionBundle: hostJson.extensionBundle !== undefined,
    logLevels: LogLevelFilter.fromHostJson(hostJson.logging?.logLevel),
    queues: readQueueOptions(hostJson.extensions?.queues),
    durable: {
      maxConcurrentActivityFunctions: positive(
        durableTask.maxConcurrentActivityFunctions,
        64,
        'maxConcurrentActivityFunctions',
      ),
      maxConcurrentOrchestratorFunctions: positive(
        durableTask.maxConcurrentOrchestratorFunctions,
        64,
        'maxConcurrentOrchestratorFunctions',
      ),
      versioning: {
        defaultVersion: durableTask.defaultVersion === undefined ? '' : String(durableTask.defaultVersion),
        match: oneOf<VersionMatchStrategy>(
          durableTask.versionMatchStrategy,
          ['None', 'Strict', 'CurrentOrOlder'],
          'CurrentOrOlder',
          'versionMatchStrategy',
        ),
        onMismatch: oneOf<VersionFailureStrategy>(
          durableTask.versionFailureStrategy,
          ['Reject', 'Fail'],
          'Reject',
          'versionFailureStrategy',
        ),
      },
    },
  };
}
