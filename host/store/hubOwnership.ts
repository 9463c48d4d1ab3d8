import { RestError, type BlobLeaseClient, type ContainerClient } from '@azure/storage-blob';

/** Another live host holds the task hub: two writers of one commit log would lose each other's commits. */
export class TaskHubInUseError extends Error {}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function leaseHeld(error: unknown): boolean {
  return error instanceof RestError && error.statusCode === 409;
}

/**
 * One host writes a task hub at a time: it holds an infinite lease on the hub's `owner` blob, as
 * the Azure Storage and Netherite providers hold partition leases. The blob's metadata names the
 * holder's process; a lease left by a process that is gone (kill -9) is broken at once, so a
 * restart does not wait for a lease to expire. The lease itself makes two starting hosts agree:
 * only one acquire succeeds.
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
    const lease = blob.getBlobLeaseClient();
    try {
      await lease.acquireLease(-1);
    } catch (error) {
      if (!leaseHeld(error)) throw error;
      const holder = Number((await blob.getProperties()).metadata?.pid);
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) throw this.inUse(holder);
      await lease.breakLease(0);
      try {
        await lease.acquireLease(-1);
      } catch (again) {
        if (leaseHeld(again)) throw this.inUse(undefined);
        throw again;
      }
    }
    await blob.setMetadata(
      { pid: String(process.pid), since: new Date().toISOString() },
      { conditions: { leaseId: lease.leaseId } },
    );
    this.lease = lease;
  }

  async release(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    await lease?.releaseLease().catch(() => undefined);
  }

  private inUse(pid: number | undefined): TaskHubInUseError {
    return new TaskHubInUseError(
      `Task hub ${this.hubName} is in use by another host${pid === undefined ? '' : ` (process ${pid})`}. ` +
        'Stop that host, or give this app another extensions.durableTask.hubName in host.json.',
    );
  }
}
