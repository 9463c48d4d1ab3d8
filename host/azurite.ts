import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { StartupError } from './config/startupError';
import { superviseDetached, type SupervisorOptions } from './detachedSupervisor';
import {
  removeRecord,
  spawnDetachedNode,
  stopDetached,
  takeOver,
  waitFor,
  writeRecord,
  type DetachedRecord,
} from './detachedProcess';

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

interface Ports {
  blob: number;
  queue: number;
  table: number;
}

function azuriteArgs(entry: string, location: string | undefined, ports: Ports): string[] {
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
    // No access log: nobody reads a line per request, and writing it cost Azurite CPU on every request.
    '--silent',
  ];
  args.push('--blobPort', String(ports.blob), '--queuePort', String(ports.queue), '--tablePort', String(ports.table));
  if (location) {
    fs.mkdirSync(location, { recursive: true });
    args.push('--location', location);
  } else {
    args.push('--inMemoryPersistence');
  }
  return args;
}

/** Starts Azurite as a child process on the given (or free) ports, reading its output (tests, the benchmark). */
export async function startAzurite(options: {
  location: string | undefined;
  ports?: Ports;
  searchFrom: string[];
}): Promise<{ child: ChildProcess; ports: Ports }> {
  const args = azuriteArgs(
    azuriteEntry(options.searchFrom),
    options.location,
    options.ports ?? { blob: 0, queue: 0, table: 0 },
  );
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const found: Record<string, number> = {};
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StartupError(`Azurite did not start within 20 s. It said: ${output.trim().slice(-500)}`)),
        20_000,
      );
      const onStdout = (chunk: Buffer): void => {
        collect(chunk);
        for (const match of output.matchAll(
          /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^:]+:(\d+)/g,
        )) {
          found[match[1].toLowerCase()] = Number(match[2]);
        }
        if (found.blob && found.queue && found.table) {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(
          new StartupError(`Azurite exited with code ${String(code)} while starting: ${output.trim().slice(-500)}`),
        );
      };
      child.stdout?.on('data', onStdout);
      child.stderr?.on('data', collect);
      child.once('exit', onExit);
    });
  } finally {
    // Once it listens, its output is drained unread: keeping it grew a string for the whole run.
    child.stdout?.removeAllListeners('data');
    child.stderr?.removeAllListeners('data');
    child.stdout?.resume();
    child.stderr?.resume();
  }
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

const STANDARD: Ports = { blob: 10000, queue: 10001, table: 10002 };
const standardPortsAnswer = async (): Promise<boolean[]> =>
  Promise.all([portAnswers(STANDARD.blob), portAnswers(STANDARD.queue), portAnswers(STANDARD.table)]);

/** The files of the Azurite a host starts for an app: its output and the pid file the next start reads. */
export function azuriteFiles(appDir: string): { log: string; pid: string } {
  const dir = path.join(appDir, '.azurite');
  return { log: path.join(dir, 'azurite.log'), pid: path.join(dir, 'azurite.pid.json') };
}

/**
 * Starts Azurite on the standard ports, detached: its own process group, output appended to a file,
 * so it outlives a host killed with -9 (a pipe to a dead host would end it with EPIPE).
 */
async function startDetachedAzurite(
  location: string | undefined,
  files: { log: string; pid: string },
  searchFrom: string[],
): Promise<DetachedRecord> {
  const entry = azuriteEntry(searchFrom);
  const from = fs.existsSync(files.log) ? fs.statSync(files.log).size : 0;
  // The file holds start-up and errors, not a line per request (azuriteArgs passes --silent).
  const pid = spawnDetachedNode(azuriteArgs(entry, location, STANDARD), files.log);
  const record: DetachedRecord = { pid, marker: entry, owner: process.pid, details: { location: location ?? null } };
  writeRecord(files.pid, record);
  const ready = await waitFor(pid, async () => (await standardPortsAnswer()).every(Boolean), 20_000);
  if (!ready) {
    await stopDetached(pid, 2_000);
    removeRecord(files.pid, pid);
    const said = fs.existsSync(files.log) ? fs.readFileSync(files.log, 'utf8').slice(from).trim().slice(-500) : '';
    throw new StartupError(
      `Azurite did not start on 127.0.0.1:10000-10002 within 20 s (its log: ${files.log}). It said: ${said}`,
    );
  }
  return record;
}

/**
 * `UseDevelopmentStorage=true` means Azurite on 127.0.0.1:10000-10002, as with func: use one that
 * answers, else start the project's own, detached, logging to <appDir>/.azurite/azurite.log. One a
 * previous host of this app started (named by the pid file) is taken over: it survived that host's
 * crash, and this host's graceful stop ends it. Any other connection string is used as given.
 */
export async function attachStorage(
  connection: string,
  options: {
    location: string | undefined;
    appDir: string;
    searchFrom: string[];
    /** Where the lines go that say the Azurite this host owns died and is back. */
    say: SupervisorOptions['say'];
  },
): Promise<StorageHandle> {
  if (!/^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i.test(connection)) {
    return { connectionString: connection, started: false, stop: () => Promise.resolve() };
  }
  const connectionString = developmentConnectionString(STANDARD);
  const files = azuriteFiles(options.appDir);
  // The Azurite this host owns is started again if it dies, on the same ports and data.
  const supervised = (record: DetachedRecord): StorageHandle => {
    const store = superviseDetached(record, {
      name: 'Azurite',
      pidFile: files.pid,
      restart: () => startDetachedAzurite(options.location, files, options.searchFrom),
      say: options.say,
    });
    return { connectionString, started: true, stop: () => store.stop() };
  };
  // Left running by a host of this app that died; one whose host still runs is that host's to stop.
  const ours = takeOver(files.pid);
  let up = await standardPortsAnswer();
  if (ours && !up.every(Boolean)) {
    // Ours, but still starting (a host killed while it started) or stopping: wait for either.
    await waitFor(ours.pid, async () => (up = await standardPortsAnswer()).every(Boolean), 20_000);
    up = await standardPortsAnswer();
  }
  if (up.every(Boolean)) {
    if (ours) return supervised(ours);
    return { connectionString, started: false, stop: () => Promise.resolve() };
  }
  if (up.some(Boolean)) {
    throw new StartupError(
      'Some of the ports 10000-10002 on 127.0.0.1 answer and some do not: another program holds them, so Azurite cannot start there.',
    );
  }
  return supervised(await startDetachedAzurite(options.location, files, options.searchFrom));
}
