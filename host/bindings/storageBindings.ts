import { FunctionIndexingError, notServedReason } from '../app/functionErrors';
import type { FunctionRegistry, RegisteredFunction } from '../app/functionRegistry';
import type { Invocation, RpcTypedData } from '../app/invokeFunction';
import type { Clock } from '../durable/engine/clock';
import type { Blobs } from '../storageServices/blobs';
import type { Queues } from '../storageServices/queues';
import { resolveBindingPath, type BindingData } from './bindingExpressions';
import { queueNameOf, withAppSettings } from './bindingSettings';
import { bindingDataOf } from './bindingData';
import { encodeQueueMessage } from './queueMessageText';
import type { StorageConnections } from './storageConnections';

interface BlobBinding {
  kind: 'blob';
  name: string;
  path: string;
  connectionString: string;
  dataType: string | undefined;
}

interface QueueBinding {
  kind: 'queue';
  name: string;
  queueName: string;
  connectionString: string;
}

type OutputBinding = BlobBinding | QueueBinding;

interface FunctionBindings {
  inputs: BlobBinding[];
  outputs: OutputBinding[];
}

/** Non-trigger binding types this host serves; anything else puts the function in error, never ignored. */
const SERVED_ELSEWHERE = new Set(['http', 'durableclient', 'orchestrationclient']);

export interface StorageBindingServices {
  connections: StorageConnections;
  blobs: Blobs;
  queues: Queues;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** Told after this host adds a queue message, so a listener on that queue polls at once. */
  queueWritten?: (connectionString: string, queueName: string) => void;
}

function describeBindings(fn: RegisteredFunction, services: StorageBindingServices): FunctionBindings {
  const result: FunctionBindings = { inputs: [], outputs: [] };
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (name === fn.triggerBindingName) continue;
    const type = binding.type.toLowerCase();
    if (SERVED_ELSEWHERE.has(type)) continue;
    const direction = binding.direction.toLowerCase();
    if (type === 'blob' && (direction === 'in' || direction === 'out')) {
      const path = typeof binding.path === 'string' ? binding.path : '';
      if (!path.includes('/'))
        throw new FunctionIndexingError(fn.name, `blob binding path "${path}" must be "container/blob name".`);
      const blob: BlobBinding = {
        kind: 'blob',
        name,
        path: withAppSettings(path, fn.name, services.env),
        connectionString: services.connections.resolve(binding.connection, fn.name),
        dataType: typeof binding.dataType === 'string' ? binding.dataType.toLowerCase() : undefined,
      };
      (direction === 'in' ? result.inputs : result.outputs).push(blob);
    } else if (type === 'queue' && direction === 'out') {
      result.outputs.push({
        kind: 'queue',
        name,
        queueName: queueNameOf(binding, fn.name, services.env),
        connectionString: services.connections.resolve(binding.connection, fn.name),
      });
    } else {
      throw new FunctionIndexingError(
        fn.name,
        notServedReason(`its ${direction === 'in' ? 'input' : 'output'} binding '${name}'`, binding.type),
      );
    }
  }
  return result;
}

function textOf(data: RpcTypedData): string {
  if ('string' in data) return data.string;
  if ('json' in data) return data.json;
  if ('bytes' in data) return Buffer.from(data.bytes).toString('utf8');
  if ('int' in data) return String(data.int);
  if ('double' in data) return String(data.double);
  throw new Error('An HTTP response cannot be written to storage.');
}

function bytesOf(data: RpcTypedData): Buffer {
  return 'bytes' in data ? Buffer.from(data.bytes) : Buffer.from(textOf(data), 'utf8');
}

/** Queue output: a JSON array adds one message per element, as the Functions host's collector does. */
function queueMessagesOf(data: RpcTypedData): string[] {
  if ('json' in data) {
    const value: unknown = JSON.parse(data.json);
    if (Array.isArray(value))
      return value.map((item: unknown) => (typeof item === 'string' ? item : JSON.stringify(item)));
  }
  return [textOf(data)];
}

/**
 * Blob inputs and blob/queue outputs of any function, with paths resolved from the trigger's
 * data the way the Functions host does, and connections resolved (and checked) at start.
 */
export class StorageBindings {
  private readonly byFunction = new Map<string, FunctionBindings>();

  constructor(
    registry: FunctionRegistry,
    private readonly services: StorageBindingServices,
  ) {
    registry.setUp(registry.all(), (fn) => {
      const bindings = describeBindings(fn, services);
      if (bindings.inputs.length + bindings.outputs.length > 0) this.byFunction.set(fn.name, bindings);
    });
  }

  async inputs(invocation: Invocation): Promise<{ name: string; data: RpcTypedData }[]> {
    const bindings = this.byFunction.get(invocation.fn.name);
    if (!bindings || bindings.inputs.length === 0) return [];
    const data = bindingDataOf(invocation);
    return Promise.all(
      bindings.inputs.map(async (binding) => {
        const content = await this.services.blobs.read(binding.connectionString, this.pathOf(binding, data));
        // A missing blob binds as null, as the extension does.
        if (content === undefined) return { name: binding.name, data: { json: 'null' } };
        return {
          name: binding.name,
          data: binding.dataType === 'string' ? { string: content.toString('utf8') } : { bytes: content },
        };
      }),
    );
  }

  async outputs(
    invocation: Invocation,
    response: { returnValue: unknown; outputData: { name: string; data: RpcTypedData }[] },
  ): Promise<void> {
    const bindings = this.byFunction.get(invocation.fn.name);
    if (!bindings || bindings.outputs.length === 0) return;
    const data = bindingDataOf(invocation);
    for (const binding of bindings.outputs) {
      const value =
        binding.name === '$return'
          ? (response.returnValue as RpcTypedData | undefined | null)
          : response.outputData.find((o) => o.name === binding.name)?.data;
      if (value === undefined || value === null) continue;
      if (binding.kind === 'blob') {
        await this.services.blobs.write(binding.connectionString, this.pathOf(binding, data), bytesOf(value));
      } else {
        for (const text of queueMessagesOf(value))
          await this.services.queues.send(binding.connectionString, binding.queueName, encodeQueueMessage(text));
        this.services.queueWritten?.(binding.connectionString, binding.queueName);
      }
    }
  }

  private pathOf(binding: BlobBinding, data: BindingData): string {
    return resolveBindingPath(binding.path, data, this.services.clock.now());
  }
}
