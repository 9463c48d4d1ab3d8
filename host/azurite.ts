import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { StartupError } from './config/startupError';

/** Azurite's well-known development account (public, documented by Microsoft). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function developmentConnectionString(
  ports: { blob: number; queue: number; table: number },
  host = '127.0.0.1',
): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=http://${host}:${ports.blob}/${DEV_ACCOUNT}`,
    `QueueEndpoint=http://${host}:${ports.queue}/${DEV_ACCOUNT}`,
    `TableEndpoint=http://${host}:${ports.table}/${DEV_ACCOUNT}`,
  ].join(';');
}

/** Whether something accepts TCP connections there (a quick probe, not a health check). */
export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface StorageHandle {
  connectionString: string;
  /** Set when this host started Azurite and must stop it. */
  stop(): Promise<void>;
  started: boolean;
}

function azuriteEntry(searchFrom: string[]): string {
  try {
    const pkg = require.resolve('azurite/package.json', { paths: searchFrom });
    return path.join(path.dirname(pkg), 'dist', 'src', 'azurite.js');
  } catch {
    throw new StartupError(
      'Azurite is not installed (npm install runs it as a devDependency) and none answers on 127.0.0.1:10000-10002.',
    );
  }
}

/** Starts Azurite as its own process, so killing the host never kills the store. */
export async function startAzurite(options: {
  location: string | undefined;
  ports?: { blob: number; queue: number; table: number };
  searchFrom: string[];
}): Promise<{ child: ChildProcess; ports: { blob: number; queue: number; table: number } }> {
  const entry = azuriteEntry(options.searchFrom);
  const ports = options.ports ?? { blob: 0, queue: 0, table: 0 };
  const args = [
    entry,
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
  ];
  args.push('--blobPort', String(ports.blob), '--queuePort', String(ports.queue), '--tablePort', String(ports.table));
  if (options.location) {
    fs.mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const found: Record<string, number> = {};
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StartupError(`Azurite did not start within 20 s. It said: ${output.trim().slice(-500)}`)),
      20_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^:]+:(\d+)/g,
      )) {
        found[match[1].toLowerCase()] = Number(match[2]);
      }
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new StartupError(`Azurite exited with code ${String(code)} while starting: ${output.trim().slice(-500)}`));
    });
  });
  child.stdout?.resume();
  return { child, ports: { blob: found.blob, queue: found.queue, table: found.table } };
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGINT');
  });
}

/**
 * `UseDevelopmentStorage=true` means Azurite on 127.0.0.1:10000-10002, as with func: use one that
 * answers, else start the project's own. Any other connection string is used as given.
 */
export async function attachStorage(
  connection: string,
  location: string | undefined,
  searchFrom: string[],
): Promise<StorageHandle> {
  if (!/^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i.test(connection)) {
    return { connectionString: connection, started: false, stop: () => Promise.resolve() };
  }
  const standard = { blob: 10000, queue: 10001, table: 10002 };
  const up = await Promise.all([portAnswers(standard.blob), portAnswers(standard.queue), portAnswers(standard.table)]);
  if (up.every(Boolean))
    return { connectionString: developmentConnectionString(standard), started: false, stop: () => Promise.resolve() };
  if (up.some(Boolean)) {
    throw new StartupError(
      'Some of the ports 10000-10002 on 127.0.0.1 answer and some do not: another program holds them, so Azurite cannot start there.',
    );
  }
  const { child } = await startAzurite({ location, ports: standard, searchFrom });
  return { connectionString: developmentConnectionString(standard), started: true, stop: () => stopProcess(child) };
}
