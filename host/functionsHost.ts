import path from 'node:path';
import { functionErrorLine } from './app/functionErrors';
import { FunctionRegistry, type RegisteredFunction } from './app/functionRegistry';
import { FunctionInvoker, functionLogWriter } from './app/invokeFunction';
import { attachStorage } from './azurite';
import { loadHostConfig, type HostConfig, type HostFlags } from './config/hostConfig';
import { StartupError } from './config/startupError';
import { durableClientBinding, durableRpcBaseUrl } from './durable/api/clientBinding';
import { registerDurableHttpApi } from './durable/api/durableHttpApi';
import { ActivityRunner } from './durable/engine/activityRunner';
import { SkippingClock, systemClock, type Clock } from './durable/engine/clock';
import { DurableEngine } from './durable/engine/durableEngine';
import { EntityEpisodes } from './durable/engine/entityEpisode';
import { OrchestrationEpisodes } from './durable/engine/orchestrationEpisode';
import { TimerScheduler } from './durable/engine/timerScheduler';
import { HttpServer } from './http/httpServer';
import { registerHttpTriggers } from './http/httpTrigger';
import { consoleLogger, type HostLogger } from './logging/hostLogger';
import { HostMetrics } from './metrics/hostMetrics';
import { TaskHubInUseError } from './store/hubOwnership';
import { LogStructuredTaskHubStore } from './store/logStructuredTaskHubStore';
import { attachTriggersAndBindings } from './triggers/attachTriggersAndBindings';
import type { TaskHubStore } from './store/taskHubStore';
import type { RuntimeStatus } from './durable/history/historyEvent';
import { workerCount } from './worker/workerCount';
import { WorkerPool } from './worker/workerPool';
import { HTTP_URI_CAPABILITY } from './worker/workerMessages';

export interface HostOptions extends HostFlags {
  logger?: HostLogger;
  /**
   * Tests only: durable timers fire as soon as nothing else can run, on a clock that jumps ahead
   * (orchestrations' currentUtcDateTime follows it). Off by default.
   */
  timeSkipping?: boolean;
  /**
   * The host stopped on its own: its language workers kept failing (3 × the worker count errors
   * without a 30-minute quiet gap). The CLI exits non-zero.
   */
  onFailed?: () => void;
}

export interface RunningHost {
  config: HostConfig;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  engine: DurableEngine;
  functions: RegisteredFunction[];
  stop(): Promise<void>;
}

function describeFunctions(functions: RegisteredFunction[], httpPaths: Map<string, string>, origin: string): string {
  const lines = ['Functions:', ''];
  for (const fn of functions) {
    const route = httpPaths.get(fn.name);
    lines.push(
      route && fn.http
        ? `        ${fn.name}: [${fn.http.methods.join(',')}] ${origin}${route}`
        : `        ${fn.name}: ${fn.triggerType}`,
      '',
    );
  }
  return lines.join('\n');
}

/** Counts the hub's orchestration instances by status, page by page (a scan: fine for a local hub). */
async function countByStatus(store: TaskHubStore): Promise<Map<RuntimeStatus, number>> {
  const counts = new Map<RuntimeStatus, number>();
  let continuationToken: string | undefined;
  do {
    const page = await store.queryInstances({ top: 1000, continuationToken });
    for (const record of page.records) {
      // Entities share the hub but are not orchestrations.
      if (!record.instanceId.startsWith('@'))
        counts.set(record.runtimeStatus, (counts.get(record.runtimeStatus) ?? 0) + 1);
    }
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return counts;
}

/**
 * The composition root: config → storage (Azurite) → task hub store → the app → the durable
 * engine → HTTP. Returns once the host serves requests and has picked up unfinished work.
 */
export async function startFunctionsHost(options: HostOptions): Promise<RunningHost> {
  const logger = options.logger ?? consoleLogger();
  const skippingClock = options.timeSkipping ? new SkippingClock() : undefined;
  const clock: Clock = skippingClock ?? systemClock;
  const config = loadHostConfig(options);
  const storage = await attachStorage(config.storageConnection, {
    location: config.azuriteLocation,
    appDir: config.appDir,
    searchFrom: [__dirname, config.appDir],
    say: logger,
  });
  let store: LogStructuredTaskHubStore;
  try {
    store = new LogStructuredTaskHubStore(storage.connectionString, config.hubName);
  } catch (error) {
    await storage.stop();
    throw new StartupError(
      `The storage connection "${config.storageConnectionName}" is not an Azure Storage connection string: ${(error as Error).message}`,
    );
  }
  if (config.providerSubstitution) logger.warn(config.providerSubstitution);
  store.outage.listen({
    down: (reason) =>
      logger.warn(`Storage does not answer; the host keeps its work and retries it until storage is back: ${reason}`),
    up: () => logger.info('Storage answers again; the work that waited goes on.'),
  });
  let workers: WorkerPool | undefined;
  try {
    try {
      await store.init();
    } catch (error) {
      if (error instanceof TaskHubInUseError) throw new StartupError(error.message);
      throw new StartupError(`Azure Storage does not answer (${(error as Error).message}); is Azurite running?`);
    }
    // App code runs in language workers beside the host, as on Azure: a stray rejection or a
    // process.exit() in a function ends its worker, never the host.
    let stop = async (): Promise<void> => workers?.stop();
    const { pool, functions, capabilities } = await WorkerPool.start({
      start: { appDir: config.appDir, main: config.packageMain },
      count: workerCount(process.env),
      logger,
      functionLog: functionLogWriter(logger, config.logLevels),
      onGiveUp: () => {
        void stop().then(() => {
          if (options.onFailed) options.onFailed();
          else process.exitCode = 1;
        });
      },
    });
    const registry = new FunctionRegistry(
      { functions: functions.map((metadata) => ({ metadata })) },
      config.extensionBundle,
    );
    workers = pool;
    const invoker = new FunctionInvoker(pool, logger);

    let isIdle = (): boolean => false;
    const timers = new TimerScheduler(
      clock,
      skippingClock ? { clock: skippingClock, isIdle: () => isIdle() } : undefined,
    );
    let port = 0;
    // Triggers other than HTTP name this host as the extension names the app's own URL.
    invoker.useDurableClient((requestOrigin) => ({
      json: JSON.stringify(
        durableClientBinding(requestOrigin ?? `http://localhost:${port}`, `http://127.0.0.1:${port}`, config.hubName),
      ),
    }));
    const triggers = attachTriggersAndBindings({
      registry,
      invoker,
      clock,
      scheduler: timers,
      storageConnection: storage.connectionString,
      queueOptions: config.queues,
      env: process.env,
      logger,
    });
    // Partial host startup, as the Functions host does it: the functions in error are named, the rest run.
    for (const { name, reason } of registry.errors()) logger.error(functionErrorLine(name, reason));
    let engineRef: DurableEngine | undefined;
    let activitiesRef: ActivityRunner | undefined;
    const metrics: HostMetrics = new HostMetrics({
      countInstances: async () => countByStatus(store),
      queuedEpisodes: (): number => engineRef?.queuedEpisodes ?? 0,
      activitiesInFlight: (): number => activitiesRef?.inFlight ?? 0,
      timersArmed: (): number => timers.armed,
    });
    store.observe(metrics);
    const activities: ActivityRunner = new ActivityRunner(
      registry,
      invoker,
      clock,
      config.durable.maxConcurrentActivityFunctions,
      metrics,
    );
    const engine = new DurableEngine({
      store,
      episodes: new OrchestrationEpisodes(registry, invoker, config.durable.versioning, logger),
      activities,
      entities: new EntityEpisodes(registry, invoker),
      observer: metrics,
      timers,
      clock,
      logger,
      maxConcurrentOrchestrations: config.durable.maxConcurrentOrchestratorFunctions,
    });

    engineRef = engine;
    activitiesRef = activities;
    const server = new HttpServer(logger);
    metrics.serve(server);
    isIdle = () => engine.isIdle() && server.inFlight === 0 && triggers.inFlight === 0;
    registerDurableHttpApi(server, {
      engine,
      registry,
      clock,
      hubName: config.hubName,
      defaultVersion: config.durable.versioning.defaultVersion,
    });
    const table = registerHttpTriggers(
      server,
      registry.all(),
      config.routePrefix,
      invoker,
      logger,
      // Every worker runs the same app: the first one's capabilities are all of theirs.
      Boolean(capabilities[HTTP_URI_CAPABILITY]),
    );
    port = await server.listen(config.port, config.bindAddress);
    // The durable client's calls reach these routes through the workers' ports, not a socket.
    pool.serveDurableApi(durableRpcBaseUrl(`http://127.0.0.1:${port}`), (request) => server.handle(request));
    // The SDK rewrites status URLs to http://localhost:7071 unless this names the real host (as Core Tools sets it).
    if (!process.env.WEBSITE_HOSTNAME) process.env.WEBSITE_HOSTNAME = `localhost:${port}`;
    const recovered = await engine.recover();
    await triggers.start();
    if (skippingClock)
      logger.warn('Time skipping is on: durable timers fire as soon as nothing else can run (for tests only).');
    if (recovered.instances + recovered.messages > 0) {
      logger.info(
        `Resumed ${recovered.instances} unfinished instance(s) and ${recovered.messages} waiting message(s) from task hub ${config.hubName}.`,
      );
    }
    logger.info(
      '\n' +
        describeFunctions(
          registry.all(),
          new Map(
            table.map((t) => [t.fn.name, `/${[config.routePrefix, t.fn.http?.route ?? ''].filter(Boolean).join('/')}`]),
          ),
          `http://localhost:${port}`,
        ) +
        `\nHost started (task hub ${config.hubName}, app ${path.relative(process.cwd(), config.appDir) || '.'}). Listening on http://${config.bindAddress}:${port}`,
    );

    let stopping: Promise<void> | undefined;
    stop = () => {
      stopping ??= (async () => {
        // Trigger invocations may still call the durable client, which this server answers.
        await triggers.stop();
        await server.close();
        await engine.stop();
        // Each worker runs the app's appTerminate hooks before it ends.
        await pool.stop();
        await store
          .close()
          .catch((error: unknown) =>
            logger.warn(`The task hub's last checkpoint failed; the next start applies its log: ${String(error)}`),
          );
        await storage.stop();
      })();
      return stopping;
    };
    return {
      config,
      port,
      url: `http://127.0.0.1:${port}`,
      engine,
      functions: registry.all(),
      stop,
    };
  } catch (error) {
    await workers?.stop();
    await store.close().catch(() => undefined);
    await storage.stop();
    throw error;
  }
}
