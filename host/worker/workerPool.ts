import path from 'node:path';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import type {
  AppChannel,
  AppInvocationRequest,
  AppInvocationResponse,
  ForwardHttpRequest,
  FunctionLogEntry,
} from '../app/appInvocation';
import type { CoreFunctionMetadata } from '../app/coreModule';
import { StartupError } from '../config/startupError';
import type { LocalRequest, LocalResponse } from '../http/httpServer';
import type { HostLogger } from '../logging/hostLogger';
import { WorkerErrorBudget } from './workerErrorBudget';
import { MessageBatch } from './messageBatch';
import { WorkerExitedError } from './workerExitedError';
import {
  HTTP_URI_CAPABILITY,
  type HostToWorker,
  type WorkerCapabilities,
  type WorkerError,
  type WorkerStart,
  type WorkerToHost,
} from './workerMessages';

const WORKER_SCRIPT = path.join(__dirname, 'languageWorker.js');
/** How long the appTerminate hooks get at stop before the worker is ended anyway. */
const TERMINATE_GRACE_MS = 5_000;

export interface WorkerPoolOptions {
  start: WorkerStart;
  count: number;
  logger: HostLogger;
  /** Where an invocation's own log lines go (the host files them by category and level). */
  functionLog: (entry: FunctionLogEntry) => void;
  /** The workers' errors spent the budget and none is left: the host stops, as the Functions host does. */
  onGiveUp: () => void;
}

interface Pending {
  resolve(response: AppInvocationResponse): void;
  reject(error: Error): void;
}

/** One worker thread and what is in flight in it. */
class LanguageWorker {
  readonly thread: Worker;
  readonly threadId: number;
  readonly inFlight = new Map<string, Pending>();
  state: 'starting' | 'ready' | 'exited' = 'starting';
  loadError: string | undefined;
  /** The worker's own HTTP proxy, when the app streams HTTP (each worker listens on a port of its own). */
  httpUri: string | undefined;
  onTerminated: (() => void) | undefined;

  constructor(start: WorkerStart) {
    // SHARE_ENV: settings the host learns after start (WEBSITE_HOSTNAME names its port) reach the app.
    this.thread = new Worker(WORKER_SCRIPT, { workerData: start, env: SHARE_ENV });
    this.threadId = this.thread.threadId;
  }

  /** What the host sends in one turn goes as one array, as the worker's answers do (see MessageBatch). */
  private readonly outbox = new MessageBatch<HostToWorker>(
    (messages) => this.thread.postMessage(messages),
    (message, error) => {
      // An invocation that cannot cross to the worker fails alone.
      if (message.type === 'invoke') {
        this.inFlight
          .get(message.request.invocationId)
          ?.reject(error instanceof Error ? error : new Error(String(error)));
        this.inFlight.delete(message.request.invocationId);
      }
      return undefined;
    },
  );

  send(message: HostToWorker): void {
    this.outbox.send(message);
  }
}

function errorFrom(sent: WorkerError): Error {
  const error = new Error(sent.message);
  error.stack = sent.stack ?? `Error: ${sent.message}`;
  return error;
}

/**
 * The app's language workers, as the Functions host keeps them: FUNCTIONS_WORKER_PROCESS_COUNT
 * workers, invocations spread round-robin over those that are up, a worker that exits restarted
 * (and what was in flight in it failed), until worker errors spend the host's budget.
 */
export class WorkerPool implements AppChannel {
  private readonly slots: LanguageWorker[] = [];
  private cursor = 0;
  private waiting: (() => void)[] = [];
  private started = false;
  private stopping = false;
  private gaveUp = false;
  private readonly budget: WorkerErrorBudget;
  private durableApi: { prefix: string; handle(request: LocalRequest): Promise<LocalResponse> } | undefined;

  private constructor(private readonly options: WorkerPoolOptions) {
    this.budget = new WorkerErrorBudget(options.count);
  }

  /**
   * Starts the workers; resolves with the functions the first one reports once all are up.
   * Throws StartupError when the app does not load.
   */
  static async start(
    options: WorkerPoolOptions,
  ): Promise<{ pool: WorkerPool; functions: CoreFunctionMetadata[]; capabilities: WorkerCapabilities }> {
    const pool = new WorkerPool(options);
    try {
      const { functions, capabilities } = await pool.launch(0);
      await Promise.all(Array.from({ length: options.count - 1 }, (_, i) => pool.launch(i + 1)));
      pool.started = true;
      return { pool, functions, capabilities };
    } catch (error) {
      await pool.stop();
      throw error;
    }
  }

  async invoke(request: AppInvocationRequest, forwardHttp?: ForwardHttpRequest): Promise<AppInvocationResponse> {
    const worker = await this.nextReady();
    return new Promise<AppInvocationResponse>((resolve, reject) => {
      worker.inFlight.set(request.invocationId, { resolve, reject });
      try {
        if (forwardHttp) {
          if (worker.httpUri === undefined)
            throw new Error(`The language worker reported no ${HTTP_URI_CAPABILITY} to forward the HTTP request to.`);
          forwardHttp(worker.httpUri, request.invocationId);
        }
        worker.send({ type: 'invoke', request });
      } catch (error) {
        worker.inFlight.delete(request.invocationId);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /**
   * From now on the workers send the app's durable client calls for `prefix` (the binding's
   * rpcBaseUrl) to `handle` instead of over HTTP (see durableClientTransport).
   */
  serveDurableApi(prefix: string, handle: (request: LocalRequest) => Promise<LocalResponse>): void {
    this.durableApi = { prefix, handle };
    for (const worker of this.slots) if (worker.state === 'ready') worker.send({ type: 'durableApi', prefix });
  }

  private answerDurableApi(worker: LanguageWorker, id: number, request: LocalRequest): void {
    const api = this.durableApi;
    if (api === undefined) return;
    api.handle(request).then(
      (response) => {
        if (worker.state !== 'exited') worker.send({ type: 'durableApiAnswer', id, response });
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (worker.state !== 'exited') worker.send({ type: 'durableApiFailed', id, message });
      },
    );
  }

  /** Runs each worker's appTerminate hooks, then ends the workers; what is still in flight fails. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await Promise.all(
      this.slots.map(async (worker) => {
        if (worker.state === 'exited') return;
        if (worker.state === 'ready') {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            worker.onTerminated = resolve;
            worker.thread.once('exit', () => resolve());
            timer = setTimeout(resolve, TERMINATE_GRACE_MS);
            worker.send({ type: 'terminate' });
          });
          clearTimeout(timer);
        }
        await worker.thread.terminate();
      }),
    );
  }

  private async nextReady(): Promise<LanguageWorker> {
    for (;;) {
      if (this.stopping || this.gaveUp)
        throw new Error('The host is stopping: no language worker runs functions any more.');
      const count = this.slots.length;
      for (let i = 0; i < count; i++) {
        const worker = this.slots[(this.cursor + i) % count];
        if (worker.state === 'ready') {
          this.cursor = (this.cursor + i + 1) % count;
          return worker;
        }
      }
      // Every worker is (re)starting: the invocation waits, as the Functions host delays it.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  private launch(slot: number): Promise<{ functions: CoreFunctionMetadata[]; capabilities: WorkerCapabilities }> {
    const worker = new LanguageWorker(this.options.start);
    this.slots[slot] = worker;
    const { logger } = this.options;
    return new Promise((resolve, reject) => {
      const handle = (message: WorkerToHost): void => {
        switch (message.type) {
          case 'ready':
            worker.state = 'ready';
            worker.httpUri = message.capabilities[HTTP_URI_CAPABILITY] || undefined;
            if (this.durableApi) worker.send({ type: 'durableApi', prefix: this.durableApi.prefix });
            resolve({ functions: message.functions, capabilities: message.capabilities });
            this.wake();
            return;
          case 'loadFailed':
            worker.loadError = message.message;
            void worker.thread.terminate();
            return;
          case 'result':
            worker.inFlight.get(message.invocationId)?.resolve(message.response);
            worker.inFlight.delete(message.invocationId);
            return;
          case 'failed':
            worker.inFlight.get(message.invocationId)?.reject(errorFrom(message.error));
            worker.inFlight.delete(message.invocationId);
            return;
          case 'functionLog':
            this.options.functionLog(message.entry);
            return;
          case 'systemLog':
            if (message.level === 'error') logger.error(message.message);
            else if (message.level === 'warning') logger.warn(message.message);
            else logger.debug(message.message);
            return;
          case 'terminated':
            worker.onTerminated?.();
            return;
          case 'durableApiRequest':
            this.answerDurableApi(worker, message.id, message.request);
            return;
        }
      };
      // The worker sends what one of its turns produced as one array (see MessageBatch).
      worker.thread.on('message', (messages: WorkerToHost[]) => {
        for (const message of messages) handle(message);
      });
      // The Node worker's own last words before it exits with code 1 (Worker.ts).
      worker.thread.on('error', (error) => {
        logger.error(
          `Worker uncaught exception (learn more: https://go.microsoft.com/fwlink/?linkid=2097909 ): ${error.stack ?? String(error)}`,
        );
      });
      worker.thread.on('exit', (code) => {
        const exited = new WorkerExitedError(code);
        if (!this.started && !this.stopping)
          reject(
            new StartupError(worker.loadError ?? `The language worker exited while loading the app: ${exited.message}`),
          );
        this.exited(slot, worker, exited);
      });
    });
  }

  private exited(slot: number, worker: LanguageWorker, exited: WorkerExitedError): void {
    worker.state = 'exited';
    for (const pending of worker.inFlight.values()) pending.reject(exited);
    worker.inFlight.clear();
    if (!this.started || this.stopping) return;
    const { logger } = this.options;
    if (worker.loadError !== undefined) logger.error(worker.loadError);
    if (exited.exitCode === 0 && worker.loadError === undefined) {
      // Current Functions hosts restart a worker that ended itself cleanly without counting an error.
      logger.info('Language Worker Process exited and needs to be restarted.');
      void this.launch(slot).catch(() => undefined);
      return;
    }
    logger.error(
      `Language Worker Process exited. Pid=${process.pid} (worker thread ${worker.threadId}). ${exited.message}`,
    );
    if (this.budget.spend()) {
      void this.launch(slot).catch(() => undefined);
      return;
    }
    if (this.gaveUp || this.slots.some((s) => s.state !== 'exited')) return;
    this.gaveUp = true;
    this.wake();
    logger.error(
      'Exceeded language worker restart retry count for runtime:node. Shutting down and proactively recycling the Functions Host to recover',
    );
    this.options.onGiveUp();
  }
}
