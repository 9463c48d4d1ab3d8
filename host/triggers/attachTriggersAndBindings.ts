import type { FunctionRegistry } from '../app/functionRegistry';
import type { FunctionInvoker } from '../app/invokeFunction';
import { StorageBindings } from '../bindings/storageBindings';
import { StorageConnections } from '../bindings/storageConnections';
import type { Clock } from '../durable/engine/clock';
import type { TimerScheduler } from '../durable/engine/timerScheduler';
import type { HostLogger } from '../logging/hostLogger';
import { Blobs } from '../storageServices/blobs';
import { Queues } from '../storageServices/queues';
import type { QueueOptions } from './queueOptions';
import { functionsHostId, TimerStatusStore } from './timerStatusStore';
import { TriggerListeners } from './triggerListeners';

export interface TriggerAndBindingSetup {
  registry: FunctionRegistry;
  invoker: FunctionInvoker;
  clock: Clock;
  /** The durable engine's timer scheduler: timer triggers share its (skipping) clock. */
  scheduler: TimerScheduler;
  /** AzureWebJobsStorage as attached (the host's own Azurite when it is development storage). */
  storageConnection: string;
  queueOptions: QueueOptions;
  env: NodeJS.ProcessEnv;
  logger: HostLogger;
}

/**
 * Gives the invoker its blob and queue bindings and builds the timer, queue and blob listeners.
 * A function whose binding or trigger cannot be set up is put in error in the registry; the rest run.
 */
export function attachTriggersAndBindings(setup: TriggerAndBindingSetup): TriggerListeners {
  const connections = new StorageConnections(setup.env, setup.storageConnection);
  const blobs = new Blobs();
  const queues = new Queues();
  const hostId = functionsHostId(setup.env);
  let listeners: TriggerListeners | undefined;
  setup.invoker.useBindings(
    new StorageBindings(setup.registry, {
      connections,
      blobs,
      queues,
      clock: setup.clock,
      env: setup.env,
      queueWritten: (connection, queue) => listeners?.queueWritten(connection, queue),
    }),
  );
  listeners = new TriggerListeners(setup.registry, {
    scheduler: setup.scheduler,
    clock: setup.clock,
    queues,
    connections,
    statusStore: new TimerStatusStore(blobs, setup.storageConnection, hostId),
    queueOptions: setup.queueOptions,
    blobs,
    hostConnectionString: setup.storageConnection,
    hostId,
    env: setup.env,
    invocations: { invoker: setup.invoker, logger: setup.logger },
  });
  return listeners;
}
