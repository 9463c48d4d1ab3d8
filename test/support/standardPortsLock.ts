import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'vitest';
import { portAnswers } from '../../host/azurite';
import { isAlive } from '../../host/detachedProcess';

// Tests that let the host start Azurite on its standard ports (10000-10002) run in different
// vitest projects, which may run at the same time: they take turns through this lock file.
const LOCK = path.join(os.tmpdir(), 'durable-saga-standard-ports.lock');

/** Waits until this process holds the lock; returns the release. A lock left by a dead process is taken over. */
export async function lockStandardPorts(timeoutMs = 600_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(LOCK, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(LOCK, 'utf8'));
      if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) fs.rmSync(LOCK, { force: true });
      else if (Date.now() > deadline) throw new Error(`process ${holder} has held ${LOCK} too long`, { cause: error });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export const STANDARD_PORTS = [10000, 10001, 10002];

/** Whether anything answers on one of Azurite's standard ports. */
export async function standardPortsAnswer(): Promise<boolean> {
  return (await Promise.all(STANDARD_PORTS.map((p) => portAnswers(p)))).some(Boolean);
}

/**
 * For a test that lets the host start Azurite on the standard ports: takes the lock until the
 * test finishes, then skips the test, saying so, when something else holds the ports.
 */
export async function takeStandardPorts(context: TestContext): Promise<void> {
  context.onTestFinished(await lockStandardPorts());
  if (await standardPortsAnswer()) context.skip('an Azurite (or something else) already holds 127.0.0.1:10000-10002');
}
