/**
 * Functions the Functions host would start in error rather than refuse the whole app for
 * (partial host startup, `AllowPartialHostStartup`). Two kinds, as on Azure:
 * - a function the host cannot *build* (a binding type no extension provides, no trigger) is left
 *   out: not listed, its route does not exist;
 * - a function the host cannot *index* (a binding it cannot set up: an unresolved `%setting%`, a
 *   connection that is not configured, a binding type this host does not serve) stays listed and
 *   keeps its route, which answers 500; its trigger never fires.
 * Both are logged once at start: "The '<name>' function is in error: <reason>".
 */

/** A function's binding or setting cannot be set up: thrown by the code that sets it up. */
export class FunctionIndexingError extends Error {
  override readonly name = 'FunctionIndexingError';
  constructor(
    readonly functionName: string,
    readonly reason: string,
  ) {
    super(`Function '${functionName}': ${reason}`);
  }
}

/**
 * Binding types the Azure Functions extension bundle 4.x provides (with the host's built-in http
 * and timer): a type beyond these fails to build, as "not found in the configured extension bundle".
 */
const BUNDLE_BINDING_TYPES = new Set(
  [
    'http',
    'httpTrigger',
    'timerTrigger',
    'warmupTrigger',
    'blob',
    'blobTrigger',
    'queue',
    'queueTrigger',
    'table',
    'serviceBus',
    'serviceBusTrigger',
    'eventHub',
    'eventHubTrigger',
    'eventGrid',
    'eventGridTrigger',
    'cosmosDB',
    'cosmosDBTrigger',
    'sendGrid',
    'twilioSms',
    'signalR',
    'signalRTrigger',
    'signalRConnectionInfo',
    'signalREndpoints',
    'signalRNegotiation',
    'webPubSub',
    'webPubSubTrigger',
    'webPubSubConnection',
    'webPubSubContext',
    'kafka',
    'kafkaTrigger',
    'rabbitMQ',
    'rabbitMQTrigger',
    'sql',
    'sqlTrigger',
    'mysql',
    'mysqlTrigger',
    'redis',
    'redisPubSubTrigger',
    'redisListTrigger',
    'redisStreamTrigger',
    'daprState',
    'daprInvoke',
    'daprPublish',
    'daprBinding',
    'daprSecret',
    'daprServiceInvocationTrigger',
    'daprBindingTrigger',
    'daprTopicTrigger',
    'mcpToolTrigger',
    'activityTrigger',
    'orchestrationTrigger',
    'entityTrigger',
    'durableClient',
    'orchestrationClient',
  ].map((type) => type.toLowerCase()),
);

export function isBundleBindingType(type: string): boolean {
  return BUNDLE_BINDING_TYPES.has(type.toLowerCase());
}

/** The Functions host's words for binding types no extension provides (FunctionDescriptorProvider). */
export function unknownBindingTypesReason(types: string[], bundleConfigured: boolean): string {
  const list = types.join(', ');
  return bundleConfigured
    ? `The binding type(s) '${list}' were not found in the configured extension bundle. Please ensure the type is correct and the correct version of extension bundle is configured`
    : `The binding type(s) '${list}' are not registered. Please ensure the type is correct and the binding extension is installed.`;
}

/** Why a binding the bundle provides is not run here: this host serves a subset of the bundle. */
export function notServedReason(what: string, type: string): string {
  return `${what} of type '${type}' comes with the extension bundle, but this local host does not serve it (it serves http, timer, queue and blob triggers, blob in/out, queue out and the durable bindings).`;
}

/** The line the Functions host logs for each function in error (ScriptHost.LogHostFunctionErrors). */
export function functionErrorLine(name: string, reason: string): string {
  return `The '${name}' function is in error: ${reason}`;
}
