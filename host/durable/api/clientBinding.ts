/** Base path of the Durable HTTP API on the Functions host. */
export const DURABLE_API_BASE = '/runtime/webhooks/durabletask';

export interface ManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

/** The id as one path segment: percent-encoded, so any id makes a URL a header can carry (Location). */
function pathSegment(id: string): string {
  return id.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]/gu, (ch) => {
    try {
      return encodeURIComponent(ch);
    } catch {
      // A lone surrogate has no UTF-8 form; U+FFFD stands in for it, as in a decoded URL.
      return '%EF%BF%BD';
    }
  });
}

function managementUrls(origin: string, hubName: string, id: string): ManagementUrls {
  const base = `${origin}${DURABLE_API_BASE}/instances/${pathSegment(id)}`;
  const query = `taskHub=${hubName}&connection=Storage`;
  return {
    id,
    statusQueryGetUri: `${base}?${query}`,
    sendEventPostUri: `${base}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${base}/terminate?reason={text}&${query}`,
    rewindPostUri: `${base}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${base}?${query}`,
    restartPostUri: `${base}/restart?${query}`,
    suspendPostUri: `${base}/suspend?reason={text}&${query}`,
    resumePostUri: `${base}/resume?reason={text}&${query}`,
  };
}

/** The payload the start API and `createCheckStatusResponse` answer with (the C# one has no rewind URL). */
export function checkStatusPayload(
  origin: string,
  hubName: string,
  instanceId: string,
): Omit<ManagementUrls, 'rewindPostUri'> {
  const { rewindPostUri: _rewind, ...urls } = managementUrls(origin, hubName, instanceId);
  return urls;
}

/** Where the SDK's DurableClient sends its calls (the binding's `rpcBaseUrl`). */
export function durableRpcBaseUrl(rpcOrigin: string): string {
  return `${rpcOrigin}${DURABLE_API_BASE}/`;
}

/**
 * The `durableClient` input binding's data, as the extension sends it (BindingHelper): the SDK's
 * DurableClient talks to `rpcBaseUrl`, which here is this host's own Durable HTTP API.
 */
export function durableClientBinding(
  publicOrigin: string,
  rpcOrigin: string,
  hubName: string,
): Record<string, unknown> {
  const base = `${publicOrigin}${DURABLE_API_BASE}`;
  return {
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&`,
    },
    managementUrls: managementUrls(publicOrigin, hubName, 'INSTANCEID'),
    baseUrl: base,
    requiredQueryStringParameters: '',
    rpcBaseUrl: durableRpcBaseUrl(rpcOrigin),
    httpBaseUrl: null,
    connectionName: null,
  };
}
