import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRecord, removeRecord, writeRecord, type DetachedRecord } from '../../../host/detachedProcess';

// A store a crashed host left running (Azurite, Cosmos) is taken over by the next start. Two starts
// after one crash must not both take it: the first to stop would end it under the other.
const ROOT = path.resolve(__dirname, '../../..');
const BUILT = path.join(ROOT, 'dist/host/detachedProcess.js');
const built = fs.existsSync(BUILT);
if (!built) console.warn(`Skipping: ${BUILT} is missing (run npm run build).`);

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function keep(child: ChildProcess): ChildProcess {
  children.push(child);
  return child;
}

/** A process that runs until killed, with `marker` on its command line (stands for Azurite). */
function longRunning(marker: string): ChildProcess {
  return keep(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], { stdio: 'ignore' }));
}

/** The pid of a process that has exited (and been reaped): a host killed with -9. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** A start in its own process: takes over what the pid file names, says whether it did, and stays up. */
async function startTakingOver(file: string): Promise<{ took: boolean; child: ChildProcess }> {
  const script = `const d = require(${JSON.stringify(BUILT)}); console.log(d.takeOver(${JSON.stringify(file)}) ? 'took' : 'left'); setInterval(() => {}, 1000);`;
  const child = keep(spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const said = await new Promise<string>((resolve) =>
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())),
  );
  return { took: said === 'took', child };
}

describe.skipIf(!built)('taking over a store a crashed host left running', () => {
  it('lets one start take it; a second that read the pid file before the first rewrote it leaves it alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'detached-'));
    const file = path.join(dir, 'store.pid.json');
    const store = longRunning('stand-in-store');
    const left: DetachedRecord = { pid: store.pid!, marker: 'stand-in-store', owner: await deadPid(), details: {} };
    writeRecord(file, left);

    const first = await startTakingOver(file);
    expect(first.took).toBe(true);
    expect(readRecord(file)?.owner).toBe(first.child.pid);

    // The second start read the record while it still named the dead owner.
    writeRecord(file, left);
    const second = await startTakingOver(file);
    expect(second.took).toBe(false);

    // Once the first is gone too, the next start takes it over from that one.
    writeRecord(file, { ...left, owner: first.child.pid! });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const third = await startTakingOver(file);
    expect(third.took).toBe(true);

    // Removing the record removes the claims made on it.
    removeRecord(file, store.pid!);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
