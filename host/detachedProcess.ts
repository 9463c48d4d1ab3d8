import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// A local store (Azurite, the embedded Cosmos server) must outlive the process that started it:
// a child whose stdout is a pipe to a host killed with -9 dies of EPIPE at its next log line, and
// one in the host's process group can be killed along with it. So it runs detached, writes its
// output to a file, and leaves a pid file next to it, through which the next start finds it again
// and a graceful stop ends it.

export interface DetachedRecord {
  pid: number;
  /** A word of the process's command line that proves the pid still names it (pids are reused). */
  marker: string;
  /** The process that stops it gracefully: the one that started it, or took it over after that one died. */
  owner: number;
  /** Whatever the starter needs to attach again (ports, data location). */
  details: Record<string, unknown>;
}

/** Starts `node args…` in its own process group with stdout and stderr appended to logFile. */
export function spawnDetachedNode(args: string[], logFile: string, env?: NodeJS.ProcessEnv): number {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, 'a');
  try {
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${args[0]}`);
    return child.pid;
  } finally {
    fs.closeSync(log);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An orphan that exited stays a zombie until init reaps it (some container inits never do).
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Whether pid is alive and still the process the record describes (on Linux, by its command line). */
export function stillRuns(record: DetachedRecord): boolean {
  if (!isAlive(record.pid)) return false;
  const cmdline = `/proc/${record.pid}/cmdline`;
  if (!fs.existsSync('/proc/self/cmdline')) return true;
  try {
    return fs.readFileSync(cmdline, 'utf8').includes(record.marker);
  } catch {
    return false;
  }
}

export function readRecord(file: string): DetachedRecord | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DetachedRecord>;
    if (typeof parsed.pid !== 'number' || typeof parsed.marker !== 'string' || typeof parsed.owner !== 'number')
      return undefined;
    return { pid: parsed.pid, marker: parsed.marker, owner: parsed.owner, details: parsed.details ?? {} };
  } catch {
    return undefined;
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a record. */
export function writeRecord(file: string, record: DetachedRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(record));
  fs.renameSync(temporary, file);
}

/**
 * The recorded process, when it still runs and its owner does not: then this process takes it
 * over (and records itself as the owner). While its owner lives it is that owner's, not ours.
 */
export function takeOver(file: string): DetachedRecord | undefined {
  const record = readRecord(file);
  if (!record || !stillRuns(record) || (record.owner !== process.pid && isAlive(record.owner))) return undefined;
  if (record.owner !== process.pid && !claim(file, record)) return undefined;
  const taken = { ...record, owner: process.pid };
  writeRecord(file, taken);
  return taken;
}

/**
 * Two starts after a crash both find the owner dead; only one may take the process over, or the
 * first to stop would end it under the other. Creating a file is atomic, and the file is named for
 * the process and its dead owner, so the next takeover (from this one) claims afresh.
 */
function claim(file: string, record: DetachedRecord): boolean {
  try {
    fs.closeSync(fs.openSync(claimFile(file, record), 'wx'));
    return true;
  } catch {
    return false;
  }
}

/** The claims on the process `pid` recorded in `file` all start with this (one per owner it had). */
function claimPrefix(file: string, pid: number): string {
  return `${path.basename(file)}.${String(pid)}-from-`;
}

function claimFile(file: string, record: DetachedRecord): string {
  return path.join(path.dirname(file), `${claimPrefix(file, record.pid)}${String(record.owner)}.claim`);
}

export function removeRecord(file: string, pid: number): void {
  if (readRecord(file)?.pid !== pid) return;
  fs.rmSync(file, { force: true });
  const prefix = claimPrefix(file, pid);
  for (const name of fs.readdirSync(path.dirname(file)))
    if (name.startsWith(prefix) && name.endsWith('.claim'))
      fs.rmSync(path.join(path.dirname(file), name), { force: true });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks the process to stop (SIGINT, its graceful path) and waits for it to be gone; SIGKILL after graceMs. */
export async function stopDetached(pid: number, graceMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  let killed = false;
  while (isAlive(pid)) {
    if (!killed && Date.now() > deadline) {
      killed = true;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await sleep(50);
  }
}

/** Polls until check() holds, the process is gone (false) or the time is up (false). */
export async function waitFor(pid: number, check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (!isAlive(pid) || Date.now() > deadline) return false;
    await sleep(50);
  }
}
