import type { Invocation, RpcTypedData } from '../app/invokeFunction';
import type { BindingData } from './bindingExpressions';

/** A typed value as the Node worker reads it: a string is JSON when it parses, else text. */
export function valueOf(data: RpcTypedData): unknown {
  if ('string' in data) {
    try {
      return JSON.parse(data.string) as unknown;
    } catch {
      return data.string;
    }
  }
  if ('json' in data) return JSON.parse(data.json) as unknown;
  if ('int' in data) return data.int;
  if ('double' in data) return data.double;
  return undefined;
}

function propertiesOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * The names a binding path can use, as the Functions host offers them: the trigger's metadata
 * (a queue message's id, dequeueCount, ...), the properties of a JSON payload (a queue message,
 * an activity's input, an HTTP body), and an HTTP request's route parameters, query and headers.
 */
export function bindingDataOf(invocation: Invocation): BindingData {
  const data: Record<string, unknown> = {};
  const trigger = invocation.trigger;
  if ('http' in trigger) {
    const http = trigger.http as {
      params?: Record<string, string>;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      body?: { bytes?: Uint8Array };
    };
    const bytes = http.body?.bytes;
    if (bytes && bytes.length > 0) {
      try {
        Object.assign(data, propertiesOf(JSON.parse(Buffer.from(bytes).toString('utf8'))));
      } catch {
        // Not JSON: the body offers no names.
      }
    }
    // A request that went to the worker's proxy has none of these here: its trigger metadata has them.
    if (http.query) data.query = http.query;
    if (http.headers) data.headers = http.headers;
    Object.assign(data, http.params ?? {});
  } else {
    Object.assign(data, propertiesOf(valueOf(trigger)));
  }
  for (const [name, value] of Object.entries(invocation.triggerMetadata ?? {})) data[name] = valueOf(value);
  return data;
}
