import fs from 'node:fs';
import os from 'node:os';
import { RestError, type BlobLeaseClient, type ContainerClient } from '@azure/storage-blob';

/** Another live host holds the task hub: two writers of one commit log would lose each other's commits. */
export class TaskHubInUseError extends Error {}

/** Who holds a hub: enough to tell, on the same machine, whether that process still runs. */
interface Holder {
  pid: number;
  host: string;
  /** Linux: this boot's id and the process's start time in clock ticks since boot (pid reuse). */
  boot?: string;
  start?: string;
}

function readProc(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function startTicks(pid: number): string | undefined {
  // Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
  return readProc(`/proc/${String(pid)}/stat`)
    ?.split(') ')[1]
    ?.split(' ')[19];
}

function me(): Holder {
  return {
    pid: process.pid,
    host: os.hostname(),
    boot: readProc('/proc/sys/kernel/random/boot_id'),
    start: startTicks(process.pid),
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the holder may still run. A holder on another machine cannot be checked, so it counts
 * as running; on this one, its process must be there, from the same boot and with the same start
 * time (a pid can be reused).
 */
function mayRun(holder: Holder, self: Holder): boolean {
  if (holder.host !== self.host) return true;
  if (holder.boot !== undefined && self.boot !== undefined && holder.boot !== self.boot) return false;
  if (!pidAlive(holder.pid)) return false;
  return holder.start === undefined || startTicks(holder.pid) === undefined || startTicks(holder.pid) === holder.start;
}

function leaseHeld(error: unknown): boolean {
  return error instanceof RestError && error.statusCode === 409;
}

/**
 * One host writes a task hub at a time: it holds an infinite lease on the hub's `owner` blob, as
 * the Azure Storage and Netherite providers hold partition leases. The blob's metadata names the
 * holder (machine, process, boot, start time); a lease left by a process of this machine that is
 * gone (kill -9, a reboot) is broken at once, so a restart does not wait for a lease to expire. A
 * holder on another machine cannot be checked and is taken to be running. The lease itself makes
 * two starting hosts agree: only one acquire succeeds.
 */
export class HubOwnership {
  private lease: BlobLeaseClient | undefined;

  constructor(
    private readonly container: ContainerClient,
    private readonly hubName: string,
  ) {}

  async acquire(): Promise<void> {
    const blob = this.container.getBlockBlobClient('owner');
    await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((error: unknown) => {
      if (!(error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412))) throw error;
    });
    const self = me();
    const lease = blob.getBlobLeaseClient();
    try {
      await lease.acquireLease(-1);
    } catch (error) {
      if (!leaseHeld(error)) throw error;
      const metadata = (await blob.getProperties()).metadata ?? {};
      const holder: Holder = {
        pid: Number(metadata.pid),
        host: metadata.host ?? self.host,
        boot: metadata.boot,
        start: metadata.start,
      };
      if (Number.isInteger(holder.pid) && holder.pid > 0 && mayRun(holder, self)) throw this.inUse(holder);
      await lease.breakLease(0);
      try {
        await lease.acquireLease(-1);
      } catch (again) {
        if (leaseHeld(again)) throw this.inUse(undefined);
        throw again;
      }
    }
    try {
      const record: Record<string, string> = {
        pid: String(self.pid),
        host: self.host,
        since: new Date().toISOString(),
      };
      if (self.boot !== undefined) record.boot = self.boot;
      if (self.start !== undefined) record.start = self.start;
      await blob.setMetadata(record, { conditions: { leaseId: lease.leaseId } });
    } catch (error) {
      await lease.releaseLease().catch(() => undefined);
      throw error;
    }
    this.lease = lease;
  }

  async release(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    await lease?.releaseLease().catch(() => undefined);
  }

  private inUse(holder: Holder | undefined): TaskHubInUseError {
    const who =
      holder === undefined
        ? ''
        : ` (process ${String(holder.pid)}${holder.host === os.hostname() ? '' : ` on ${holder.host}`})`;
    return new TaskHubInUseError(
      `Task hub ${this.hubName} is in use by another host${who}. ` +
        'Stop that host, or give this app another extensions.durableTask.hubName in host.json.',
    );
  }
}
