import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
