import { parentPort, workerData } from 'node:worker_threads';
import { InProcessApp } from '../app/inProcessApp';
import { loadApp } from '../app/loadApp';
import type { LocalResponse } from '../http/httpServer';
import { routeDurableClientToHost } from './durableClientTransport';
import { MessageBatch } from './messageBatch';
import type { HostToWorker, WorkerCapabilities, WorkerError, WorkerStart, WorkerToHost } from './workerMessages';

/**
 * What the Node worker says it can do before the programming model adds its own (getWorkerCapabilities
 * in azure-functions-nodejs-worker). This host builds invocations that way already; the model
 * reads them and adds HttpUri when the app streams HTTP.
 */
const NODE_WORKER_CAPABILITIES: WorkerCapabilities = {
  RawHttpBodyBytes: 'true',
  RpcHttpTriggerMetadataRemoved: 'true',
  RpcHttpBodyOnly: 'true',
  IgnoreEmptyValuedRpcHttpHeaders: 'true',
  UseNullableValueDictionaryForHttp: 'true',
  WorkerStatus: 'true',
  TypedDataCollection: 'true',
  HandlesWorkerTerminateMessage: 'true',
};

/**
 * The language worker: a thread that loads the app with the host's @azure/functions-core, runs
 * its appStart hooks, reports its functions, and then runs invocations the host sends. Nothing
 * here catches a stray rejection or a throw in a callback: as in the Node worker, either ends
 * the worker (exit code 1) and the host restarts it.
 */
function serve(port: NonNullable<typeof parentPort>, start: WorkerStart): void {
  const batch = new MessageBatch<WorkerToHost>(
    (messages) => port.postMessage(messages),
    // A value structured clone cannot copy (a function, a class with private state) fails the invocation, not the worker.
    (message, error) =>
      message.type === 'result'
        ? { type: 'failed', invocationId: message.invocationId, error: describe(error) }
        : {
            type: 'systemLog',
            level: 'error',
            message: `A ${message.type} message could not be sent: ${describe(error).message}`,
          },
  );
  process.on('exit', () => batch.flush());
  const send = (message: WorkerToHost): void => batch.send(message);
  let app: InProcessApp;
  try {
    const registrations = loadApp(start.appDir, start.main);
    registrations.systemLog = (level, message) => send({ type: 'systemLog', level, message });
    app = new InProcessApp(registrations, (entry) => send({ type: 'functionLog', entry }));
    const functions = registrations.functions.map((f) => f.metadata);
    const model = registrations.programmingModel;
    void (async () => {
      try {
        await app.runAppStartHooks(start.appDir);
      } catch (error) {
        send({ type: 'loadFailed', message: `An appStart hook failed: ${describe(error).message}` });
        return;
      }
      try {
        // As the Node worker: once the app started, the model adds its capabilities (and locks app.setup).
        const capabilities = model?.getCapabilities
          ? await model.getCapabilities({ ...NODE_WORKER_CAPABILITIES })
          : { ...NODE_WORKER_CAPABILITIES };
        send({ type: 'ready', functions, capabilities });
      } catch (error) {
        send({ type: 'loadFailed', message: `The app's capabilities could not be read: ${describe(error).message}` });
      }
    })();
  } catch (error) {
    send({ type: 'loadFailed', message: describe(error).message });
    return;
  }
  const durableApiCalls = new Map<number, { resolve(response: LocalResponse): void; reject(error: Error): void }>();
  let nextCall = 0;
  const handle = (message: HostToWorker): void => {
    if (message.type === 'durableApi') {
      routeDurableClientToHost(
        start.appDir,
        message.prefix,
        (request) =>
          new Promise((resolve, reject) => {
            const id = ++nextCall;
            durableApiCalls.set(id, { resolve, reject });
            send({ type: 'durableApiRequest', id, request });
          }),
      );
      return;
    }
    if (message.type === 'durableApiAnswer' || message.type === 'durableApiFailed') {
      const call = durableApiCalls.get(message.id);
      durableApiCalls.delete(message.id);
      if (message.type === 'durableApiAnswer') call?.resolve(message.response);
      else call?.reject(new Error(message.message));
      return;
    }
    if (message.type === 'terminate') {
      void app
        .runAppTerminateHooks()
        .catch((error: unknown) =>
          send({
            type: 'systemLog',
            level: 'warning',
            message: `An appTerminate hook failed: ${describe(error).message}`,
          }),
        )
        .then(() => send({ type: 'terminated' }));
      return;
    }
    const { request } = message;
    app.invoke(request).then(
      (response) => send({ type: 'result', invocationId: request.invocationId, response }),
      (error: unknown) => send({ type: 'failed', invocationId: request.invocationId, error: describe(error) }),
    );
  };
  port.on('message', (messages: HostToWorker[]) => {
    for (const message of messages) handle(message);
  });
}

function describe(error: unknown): WorkerError {
  if (error instanceof Error) return { message: error.message, stack: error.stack };

  return { message: String(error) };
}

if (parentPort) serve(parentPort, workerData as WorkerStart);
