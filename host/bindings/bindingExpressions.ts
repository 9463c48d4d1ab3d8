import { randomUUID } from 'node:crypto';

/** Values a binding expression can name: the trigger's data (message properties, route parameters, ...). */
export type BindingData = Readonly<Record<string, unknown>>;

/** A path that names data the trigger did not carry, as the Functions host reports it. */
export class BindingExpressionError extends Error {
  override readonly name = 'BindingExpressionError';
}

function lookup(data: BindingData, dotted: string): unknown {
  let node: unknown = data;
  for (const part of dotted.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    const record = node as Record<string, unknown>;
    // The host matches binding data names case-insensitively.
    const key = Object.keys(record).find((k) => k.toLowerCase() === part.toLowerCase());
    node = key === undefined ? undefined : record[key];
  }
  return node;
}

/** `%name%` from the app settings, resolved once when the host reads the binding. */
export function resolveAppSettings(template: string, env: NodeJS.ProcessEnv): string {
  return template.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined)
      throw new BindingExpressionError(`'%${name}%' does not resolve to a value: app setting "${name}" is not set.`);
    return value;
  });
}

/**
 * `{name}`, `{a.b}`, `{rand-guid}` / `{sys.randguid}` and `{DateTime}` / `{sys.utcnow}` in a binding path, from the trigger data, as
 * the Functions host resolves them per invocation.
 */
export function resolveBindingPath(template: string, data: BindingData, now: Date): string {
  return template.replace(/\{([^{}]+)\}/g, (_, expression: string) => {
    const name = expression.trim();
    const lower = name.toLowerCase();
    if (lower === 'rand-guid' || lower === 'sys.randguid') return randomUUID();
    if (lower === 'datetime' || lower === 'sys.utcnow') return now.toISOString();
    const value = lookup(data, name);
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
    throw new BindingExpressionError(`No value for named parameter '${name}'.`);
  });
}
