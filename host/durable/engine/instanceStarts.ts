import { randomUUID } from 'node:crypto';
import { StoreConflictError, type InstanceRecord, type TaskHubStore } from '../../store/taskHubStore';
import type { ParentInstance } from '../history/historyEvent';
import type { Clock } from './clock';
import type { LiveInstances } from './liveInstances';
import { isFinished } from './orchestrationEpisode';

export interface StartRequest {
  name: string;
  instanceId: string;
  input: string | null;
  version: string;
  parent?: ParentInstance | null;
  /** The host made the id up for this start (the client named none): no instance can hold it. */
  newId?: boolean;
}

/** The id is taken by an instance that has not finished (the extension answers 500). */
export class InstanceAlreadyExistsError extends Error {
  constructor(
    readonly instanceId: string,
    status: string,
  ) {
    super(`An Orchestration instance with the status ${status} already exists.`);
  }
}

/** Starts of orchestration instances: a new id, or a finished instance's id taken again. */
export class InstanceStarts {
  /**
   * Ids whose start is writing them now (not orphans, whatever the store already shows), each with
   * the end of its last start, which the next start of the id waits for.
   */
  private readonly starting = new Map<string, Promise<void>>();

  constructor(
    private readonly store: TaskHubStore,
    private readonly clock: Clock,
    private readonly live: LiveInstances,
  ) {}

  isStarting(instanceId: string): boolean {
    return this.starting.has(instanceId);
  }

  newRecord(request: StartRequest, generation: number): InstanceRecord {
    const now = this.clock.now();
    return {
      instanceId: request.instanceId,
      name: request.name,
      version: request.version,
      executionId: randomUUID().replace(/-/g, ''),
      runtimeStatus: 'Pending',
      createdTime: now,
      lastUpdatedTime: now,
      completedTime: null,
      input: request.input,
      output: null,
      customStatus: null,
      parent: request.parent ?? null,
      generation,
      historyChunks: 0,
    };
  }

  /**
   * Starts of one id run one after the other. A second start that met the first one's write under
   * way was refused ("already exists") while the instance could not be read yet, so a client that
   * then asked for it (the usual answer to a repeated request) got 404 for an instance that runs.
   */
  start(request: StartRequest): Promise<InstanceRecord> {
    const id = request.instanceId;
    const before = this.starting.get(id);
    const started = before ? before.then(() => this.startOrRefuse(request)) : this.startOrRefuse(request);
    const ended = started.then(
      () => undefined,
      () => undefined,
    );
    this.starting.set(id, ended);
    void ended.then(() => {
      if (this.starting.get(id) === ended) this.starting.delete(id);
    });
    return started;
  }

  private async startOrRefuse(request: StartRequest): Promise<InstanceRecord> {
    let existing = this.live.inMemory(request.instanceId);
    if (!existing) {
      // Most starts take a new id: create it at once, and read what is there only if that fails.
      const record = this.newRecord(request, 0);
      try {
        return this.started(record, await this.store.putInstance(record, undefined, { newId: request.newId }));
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
      }
      existing = await this.store.getInstance(request.instanceId);
    }
    if (existing && !isFinished(existing.value))
      throw new InstanceAlreadyExistsError(request.instanceId, existing.value.runtimeStatus);
    const record = this.newRecord(request, existing ? existing.value.generation + 1 : 0);
    let etag: string;
    try {
      etag = await this.store.putInstance(record, existing?.etag);
    } catch (error) {
      if (error instanceof StoreConflictError) throw new InstanceAlreadyExistsError(request.instanceId, 'Pending');
      throw error;
    }
    if (existing) void this.store.dropOldExecutions(record).catch(() => undefined);
    return this.started(record, etag);
  }

  private started(record: InstanceRecord, etag: string): InstanceRecord {
    const live = this.live.of(record.instanceId);
    live.state = { record, etag, history: [] };
    live.wake = true;
    this.live.schedule(live);
    return record;
  }
}
