import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { developmentConnectionString, startAzurite, stopProcess } from '../../host/azurite';

export interface RunningAzurite {
  connectionString: string;
  /** Where Azurite listens (a fault proxy forwards here). */
  ports: { blob: number; queue: number; table: number };
  stop(): Promise<void>;
  child: ChildProcess;
}

/** A real Azurite of our own, in memory, on free ports: each test file gets a clean store. */
export async function startTestAzurite(): Promise<RunningAzurite> {
  const { child, ports } = await startAzurite({ location: undefined, searchFrom: [path.resolve(__dirname, '../..')] });
  return { child, ports, connectionString: developmentConnectionString(ports), stop: () => stopProcess(child) };
}
