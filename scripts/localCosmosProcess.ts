import fs from 'node:fs';
import path from 'node:path';
import { portAnswers } from '../host/azurite';
import { StartupError } from '../host/config/startupError';
import {
  removeRecord,
  spawnDetachedNode,
  stopDetached,
  takeOver,
  waitFor,
  writeRecord,
  type DetachedRecord,
} from '../host/detachedProcess';
import { superviseDetached, type SupervisorOptions } from '../host/detachedSupervisor';

// How `npm start` runs its embedded Cosmos-protocol server: detached (scripts/localCosmos.ts), so
// that, like Azurite, it outlives `npm start` killed with -9; the next start takes it over through
// the pid file, and a graceful stop ends it after it saved its data.

/** What scripts/localCosmos.ts prints once its data is loaded and it serves. */
export const READY_LINE = 'Cosmos-protocol server ready on';

export interface LocalCosmosFiles {
  data: string;
  log: string;
  pid: string;
}

export function localCosmosFiles(root: string): LocalCosmosFiles {
  const dir = path.join(root, '.cosmos');
  return {
    data: path.join(dir, 'data.json'),
    log: path.join(dir, 'server.log'),
    pid: path.join(dir, 'server.pid.json'),
  };
}

export interface LocalCosmos {
  /** How it came to be: started now, taken over from a previous start, or someone else's (left alone). */
  origin: 'started' | 'taken over' | 'foreign';
  readonly stop: () => Promise<void>;
}

/** Starts the server detached on this port from the snapshot (or the demo data); resolves once it serves. */
async function startServer(port: number, files: LocalCosmosFiles, entry: string): Promise<DetachedRecord> {
  const from = fs.existsSync(files.log) ? fs.statSync(files.log).size : 0;
  const logSinceStart = (): string => (fs.existsSync(files.log) ? fs.readFileSync(files.log, 'utf8').slice(from) : '');
  const pid = spawnDetachedNode([entry, '--port', String(port), '--data', files.data], files.log);
  const record: DetachedRecord = { pid, marker: entry, owner: process.pid, details: { port } };
  writeRecord(files.pid, record);
  if (!(await waitFor(pid, () => Promise.resolve(logSinceStart().includes(READY_LINE)), 30_000))) {
    await stopDetached(pid, 2_000);
    removeRecord(files.pid, pid);
    throw new StartupError(
      `The embedded Cosmos-protocol server did not start (its log: ${files.log}): ${logSinceStart().trim().slice(-800)}`,
    );
  }
  const ready = logSinceStart()
    .split('\n')
    .find((line) => line.includes(READY_LINE));
  console.log(`Embedded ${ready ?? READY_LINE}`);
  return record;
}

/**
 * The local Cosmos server on this port: the one a previous `npm start` left running, one that is
 * not ours (used, never stopped), or a new one started from the snapshot (or the demo data). One
 * that is ours is started again on the same port and data if it dies.
 */
export async function ensureLocalCosmos(
  port: number,
  root: string,
  entry: string,
  say: SupervisorOptions['say'],
): Promise<LocalCosmos> {
  const files = localCosmosFiles(root);
  const supervised = (record: DetachedRecord): (() => Promise<void>) => {
    const store = superviseDetached(record, {
      name: 'The embedded Cosmos-protocol server',
      pidFile: files.pid,
      restart: () => startServer(port, files, entry),
      say,
    });
    return () => store.stop();
  };
  // Left running by an npm start that died; one whose npm start still runs is that one's to stop.
  const ours = takeOver(files.pid);
  if (ours?.details.port === port) {
    if (await waitFor(ours.pid, () => portAnswers(port), 20_000))
      return { origin: 'taken over', stop: supervised(ours) };
  } else if (ours) {
    // Left behind on another port (COSMOS_ENDPOINT changed): it saves its data as it stops, and one starts here.
    await stopDetached(ours.pid);
    removeRecord(files.pid, ours.pid);
  }
  if (await portAnswers(port)) return { origin: 'foreign', stop: () => Promise.resolve() };
  return { origin: 'started', stop: supervised(await startServer(port, files, entry)) };
}
