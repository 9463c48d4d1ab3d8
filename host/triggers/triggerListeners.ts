import { FunctionIndexingError, notServedReason } from '../app/functionErrors';
import type { FunctionRegistry, RegisteredFunction } from '../app/functionRegistry';
import { queueNameOf, withAppSettings } from '../bindings/bindingSettings';
import type { StorageConnections } from '../bindings/storageConnections';
import type { Clock } from '../durable/engine/clock';
import type { TimerScheduler } from '../durable/engine/timerScheduler';
import type { Blobs } from '../storageServices/blobs';
import type { Queues } from '../storageServices/queues';
import { BlobListener } from './blobTrigger';
import { parseBlobPathPattern } from './blobPathPattern';
import { InvocationTracker } from './invocationTracker';
import type { QueueOptions } from './queueOptions';
import { QueueListener } from './queueTrigger';
import { isDisabled, type TriggerInvocations } from './triggerInvocations';
import { TimerTriggers } from './timerTrigger';
import type { TimerStatusStore } from './timerStatusStore';

/** Triggers the host runs itself elsewhere (HTTP server, durable engine). */
const OTHER_LISTENERS = new Set(['httptrigger', 'orchestrationtrigger', 'activitytrigger', 'entitytrigger']);
const RUN_HERE = new Set(['timertrigger', 'queuetrigger', 'blobtrigger']);

export interface TriggerListenerServices {
  scheduler: TimerScheduler;
  clock: Clock;
  queues: Queues;
  connections: StorageConnections;
  statusStore: TimerStatusStore;
  queueOptions: QueueOptions;
  blobs: Blobs;
  /** AzureWebJobsStorage: where the host keeps its own records (blob receipts, timer status). */
  hostConnectionString: string;
  hostId: string;
  env: NodeJS.ProcessEnv;
  invocations: Omit<TriggerInvocations, 'tracker'>;
}

/**
 * Every trigger beyond HTTP and the durable ones: timer, storage queue and blob listeners. A function
 * whose trigger `func start` would run and this host cannot is put in error (the start-up log names
 * it and its trigger type); the others run.
 */
export class TriggerListeners {
  readonly tracker = new InvocationTracker();
  private readonly timers: TimerTriggers;
  private readonly queueListeners: QueueListener[] = [];
  private readonly blobListeners: BlobListener[] = [];
  readonly disabled: RegisteredFunction[] = [];

  constructor(registry: FunctionRegistry, services: TriggerListenerServices) {
    const invocations: TriggerInvocations = { ...services.invocations, tracker: this.tracker };
    const timerFunctions: RegisteredFunction[] = [];
    const listened = registry.all().filter((fn) => !OTHER_LISTENERS.has(fn.triggerType.toLowerCase()));
    registry.setUp(listened, (fn) => {
      const type = fn.triggerType.toLowerCase();
      if (!RUN_HERE.has(type)) throw new FunctionIndexingError(fn.name, notServedReason('its trigger', fn.triggerType));
      if (isDisabled(fn, services.env)) {
        this.disabled.push(fn);
      } else if (type === 'timertrigger') {
        timerFunctions.push(fn);
      } else if (type === 'blobtrigger') {
        this.blobListeners.push(this.blobListener(fn, services, invocations));
      } else {
        const binding = fn.metadata.bindings[fn.triggerBindingName];
        this.queueListeners.push(
          new QueueListener(
            fn,
            queueNameOf(binding, fn.name, services.env),
            services.connections.resolve(binding.connection, fn.name),
            services.queueOptions,
            services.queues,
            invocations,
          ),
        );
      }
    });
    this.timers = new TimerTriggers(registry, timerFunctions, {
      scheduler: services.scheduler,
      clock: services.clock,
      statusStore: services.statusStore,
      invocations,
      env: services.env,
    });
  }

  private blobListener(
    fn: RegisteredFunction,
    services: TriggerListenerServices,
    invocations: TriggerInvocations,
  ): BlobListener {
    const binding = fn.metadata.bindings[fn.triggerBindingName];
    if (typeof binding.source === 'string' && binding.source.toLowerCase() === 'eventgrid')
      throw new FunctionIndexingError(
        fn.name,
        'its blob trigger has source EventGrid, which needs an Event Grid subscription this host cannot receive (leave source unset for the polling blob trigger).',
      );
    const path = withAppSettings(typeof binding.path === 'string' ? binding.path : '', fn.name, services.env);
    let pattern;
    try {
      pattern = parseBlobPathPattern(path);
    } catch (error) {
      throw new FunctionIndexingError(
        fn.name,
        `blob trigger path "${path}" is not valid: ${(error as Error).message}.`,
      );
    }
    return new BlobListener(
      {
        fn,
        pattern,
        connectionString: services.connections.resolve(binding.connection, fn.name),
        hostConnectionString: services.hostConnectionString,
        hostId: services.hostId,
        maxDequeueCount: services.queueOptions.maxDequeueCount,
      },
      services.blobs,
      services.queues,
      invocations,
    );
  }

  get inFlight(): number {
    return this.tracker.inFlight;
  }

  async start(): Promise<void> {
    await this.timers.start();
    for (const listener of this.queueListeners) listener.start();
    for (const listener of this.blobListeners) listener.start();
  }

  /** This host added a message to a queue: its listeners look at once. */
  queueWritten(connectionString: string, queueName: string): void {
    for (const listener of this.queueListeners)
      if (listener.queueName === queueName && listener.connectionString === connectionString) listener.poke();
  }

  /** Stops listening, then waits for the invocations that are running. */
  async stop(): Promise<void> {
    this.timers.stop();
    await Promise.all([...this.queueListeners, ...this.blobListeners].map((listener) => listener.stop()));
    await this.tracker.drained();
  }
}
