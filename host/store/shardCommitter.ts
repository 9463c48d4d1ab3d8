import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';

interface Pending {
  actions: TransactionAction[];
  bytes: number;
  resolve(etags: Map<string, string>): void;
  reject(error: unknown): void;
}

/** Azure Tables: at most 100 operations and 4 MiB in one entity-group transaction. */
const MAX_OPERATIONS = 100;
const MAX_BYTES = 3.5 * 1024 * 1024;

function rowKeyOf(action: TransactionAction): string {
  return (action[1] as { rowKey: string }).rowKey;
}

function sizeOf(action: TransactionAction): number {
  let bytes = 200;
  for (const value of Object.values(action[1] as Record<string, unknown>)) {
    bytes += typeof value === 'string' ? value.length * 2 : 16;
  }
  return bytes;
}

/**
 * Serializes the writes to one partition and packs the ones that queue up while a transaction is
 * in flight into the next transaction (group commit). Unloaded, a write goes out at once; under
 * load, many instances' episodes share one round trip, which is where the throughput comes from.
 */
export class ShardCommitter {
  private readonly queue: Pending[] = [];
  private busy = false;

  constructor(
    private readonly table: TableClient,
    readonly partitionKey: string,
  ) {}

  /** Commits the actions atomically; resolves with the new ETag of each written row, by row key. */
  submit(actions: TransactionAction[]): Promise<Map<string, string>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ actions, bytes: actions.reduce((n, a) => n + sizeOf(a), 0), resolve, reject });
      if (!this.busy) void this.drain();
    });
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const keys = new Set<string>();
    let operations = 0;
    let bytes = 0;
    for (let i = 0; i < this.queue.length;) {
      const next = this.queue[i];
      const clash = next.actions.some((a) => keys.has(rowKeyOf(a)));
      const fits = operations + next.actions.length <= MAX_OPERATIONS && bytes + next.bytes <= MAX_BYTES;
      if (batch.length > 0 && (!fits || clash)) {
        if (!fits) break;
        i++;
        continue;
      }
      batch.push(next);
      this.queue.splice(i, 1);
      operations += next.actions.length;
      bytes += next.bytes;
      for (const a of next.actions) keys.add(rowKeyOf(a));
    }
    return batch;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        try {
          const etags = await this.send(batch.flatMap((p) => p.actions));
          for (const p of batch) p.resolve(etags);
        } catch (error) {
          if (batch.length === 1) {
            batch[0].reject(error);
            continue;
          }
          // One write's conflict must not fail its neighbours: retry each on its own.
          for (const p of batch) {
            try {
              p.resolve(await this.send(p.actions));
            } catch (single) {
              p.reject(single);
            }
          }
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** One row alone goes as a plain entity request: it costs both sides less than a one-row transaction. */
  private async sendOne(action: TransactionAction): Promise<Map<string, string>> {
    const entity = action[1] as TableEntity;
    let etag: string | undefined;
    switch (action[0]) {
      case 'create':
        etag = (await this.table.createEntity(entity)).etag;
        break;
      case 'update':
        etag = (await this.table.updateEntity(entity, action[2], action[3])).etag;
        break;
      case 'upsert':
        etag = (await this.table.upsertEntity(entity, action[2])).etag;
        break;
      case 'delete':
        await this.table.deleteEntity(entity.partitionKey, entity.rowKey);
        break;
    }
    return new Map(etag === undefined ? [] : [[entity.rowKey, etag]]);
  }

  private async send(actions: TransactionAction[]): Promise<Map<string, string>> {
    const etags = new Map<string, string>();
    if (actions.length === 0) return etags;
    if (
      actions.length > MAX_OPERATIONS ||
      (actions.length > 1 && actions.reduce((n, a) => n + sizeOf(a), 0) > MAX_BYTES)
    ) {
      // A single oversized write (a purge, a checkpoint of many rows) is split by count and by
      // size; such writes do not need to be atomic.
      let part: TransactionAction[] = [];
      let bytes = 0;
      for (const action of actions) {
        const size = sizeOf(action);
        if (part.length > 0 && (part.length === MAX_OPERATIONS || bytes + size > MAX_BYTES)) {
          for (const [k, v] of await this.send(part)) etags.set(k, v);
          part = [];
          bytes = 0;
        }
        part.push(action);
        bytes += size;
      }
      for (const [k, v] of await this.send(part)) etags.set(k, v);
      return etags;
    }
    if (actions.length === 1) return this.sendOne(actions[0]);
    const response = await this.table.submitTransaction(actions);
    for (const sub of response.subResponses) {
      if (sub.etag && sub.rowKey) etags.set(sub.rowKey, sub.etag);
    }
    return etags;
  }
}

/** The hub table's committers, one per partition, so each partition's writes queue in one place. */
export class ShardCommitters {
  private readonly committers = new Map<string, ShardCommitter>();

  constructor(private readonly table: TableClient) {}

  of(partitionKey: string): ShardCommitter {
    let committer = this.committers.get(partitionKey);
    if (!committer) {
      committer = new ShardCommitter(this.table, partitionKey);
      this.committers.set(partitionKey, committer);
    }
    return committer;
  }
}
