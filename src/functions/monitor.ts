import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { FieldError } from '../saga/orderInput';
import { maxActionBodyBytes, parseActionRequest } from '../monitor/actionRequest';
import {
  DurableApiError,
  DurableStatusReader,
  durableStatusReader,
  InstancePage,
  InstanceStatusPayload,
} from '../monitor/durableStatusApi';
import { actionRefusal, InstanceAction } from '../monitor/instanceActions';
import { toInstanceDetail } from '../monitor/instanceDetail';
import { ranStepsAsSubOrchestrations } from '../monitor/timelineHistory';
import { toInstanceRow } from '../monitor/instanceRow';
import { InstanceListQuery, instanceIdProblem, parseListQuery } from '../monitor/listQuery';
import { MonitorPage, pageScriptRoute, renderMonitorPage } from '../monitor/monitorPage';
import { loadPageScript, PageScript } from '../monitor/pageScriptFile';
import { sagaOrchestratorName, sagaStepOrchestratorName } from '../saga/steps';

// The saga monitor: GET /api/monitor serves the page, the JSON endpoints behind it read and act
// on instances through the durable client only, so the same code works on the local host and in
// Azure. All of them but the page's script are function-level: in Azure they need a key (a host
// key, since the page calls several functions); the local host binds 127.0.0.1 and checks no keys.
// The script is anonymous because a <script src> cannot send the key header; it is the same
// static file for everyone and carries no data.
//
//   GET    /api/monitor                               the page
//   GET    /api/monitor/pageScript.js                 the page's script (compiled from src/monitor/page)
//   GET    /api/monitor/instances?status&createdFrom&createdTo&idPrefix&pageSize&continuationToken
//   GET    /api/monitor/instances/{id}                status, timeline, input, output, history
//   POST   /api/monitor/instances/{id}/{action}       terminate | suspend | resume | restart | raiseEvent
//   DELETE /api/monitor/instances/{id}                purge
//
// New orders are started by the page through POST /api/orders itself, so the form runs exactly
// the validation and idempotency rules every other client gets.

/** The part of the SDK's DurableClient the monitor uses (DurableClient satisfies it; tests fake it). */
export interface MonitorClient {
  getStatus(
    instanceId: string,
    options?: { showInput?: boolean },
  ): Promise<{ readonly name: string; readonly runtimeStatus: string; readonly input: unknown }>;
  terminate(instanceId: string, reason: string): Promise<void>;
  suspend(instanceId: string, reason: string): Promise<void>;
  resume(instanceId: string, reason: string): Promise<void>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
  startNew(orchestratorName: string, options: { input?: unknown }): Promise<string>;
  purgeInstanceHistory(instanceId: string): Promise<{ readonly instancesDeleted: number }>;
}

type Log = (message: string) => void;

const noStore = { 'Cache-Control': 'no-store' };

/**
 * Read and rendered at the first request rather than when the app loads: a build without the
 * compiled script then fails the monitor's page (with a message saying why), not every function.
 */
let assets: { readonly page: MonitorPage; readonly script: PageScript } | undefined;

function monitorAssets(): { readonly page: MonitorPage; readonly script: PageScript } {
  if (assets === undefined) {
    const script = loadPageScript();
    assets = { script, page: renderMonitorPage(script) };
  }
  return assets;
}

export function serveMonitorPage(): HttpResponseInit {
  const { page } = monitorAssets();
  return { status: 200, body: page.html, headers: { ...page.headers } };
}

export function serveMonitorPageScript(): HttpResponseInit {
  const { script } = monitorAssets();
  return {
    status: 200,
    body: script.text,
    headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...noStore },
  };
}

export async function listInstances(
  query: URLSearchParams,
  reader: DurableStatusReader,
  now: Date = new Date(),
): Promise<HttpResponseInit> {
  const parsed = parseListQuery(query);
  if (!parsed.ok) return errorResponse(400, parsed.errors);
  try {
    const result = await readListPage(reader, parsed.query);
    return {
      status: 200,
      headers: noStore,
      jsonBody: {
        instances: result.instances.map((instance) => toInstanceRow(instance, now)),
        continuationToken: result.continuationToken ?? null,
      },
    };
  } catch (error) {
    // A token from another task hub, or one mangled on the way, is refused by the store.
    if (error instanceof DurableApiError && parsed.query.continuationToken !== undefined) {
      return errorResponse(400, [
        {
          path: 'query:continuationToken',
          message: 'was not accepted by the task hub; start again from the first page',
        },
      ]);
    }
    throw error;
  }
}

/** How many task hub pages one list request may read to fill a page once step instances are hidden. */
const maxReadsPerPage = 5;

/**
 * One page of the list. Each saga has a sub-orchestration per step in the same task hub, and the
 * Durable API cannot filter by orchestrator name, so hiding them can leave a page short: whole
 * task hub pages are read until the page is full, the hub is exhausted or five pages were read.
 * The token handed back is the one after the last page read, so nothing is skipped; a page may
 * hold a few more rows than pageSize.
 */
async function readListPage(reader: DurableStatusReader, query: InstanceListQuery): Promise<InstancePage> {
  if (query.includeSteps) return reader.listInstances(query);
  const shown: InstanceStatusPayload[] = [];
  let continuationToken = query.continuationToken;
  for (let reads = 0; reads < maxReadsPerPage; reads++) {
    const page = await reader.listInstances({ ...query, continuationToken });
    shown.push(...page.instances.filter((instance) => instance.name !== sagaStepOrchestratorName));
    continuationToken = page.continuationToken;
    if (continuationToken === undefined || shown.length >= query.pageSize) break;
  }
  return { instances: shown, ...(continuationToken !== undefined ? { continuationToken } : {}) };
}

export async function readInstance(
  id: string | undefined,
  reader: DurableStatusReader,
  now: Date = new Date(),
): Promise<HttpResponseInit> {
  const problem = instanceIdProblem(id);
  if (problem !== undefined || id === undefined)
    return errorResponse(400, [{ path: 'route:id', message: problem ?? 'is required' }]);
  const status = await reader.getInstanceWithHistory(id);
  if (status === undefined) return notFound(id);
  // Only v1/v2 sagas ran their steps as sub-orchestrations; a v3 saga's attempts are in its own history.
  const steps =
    status.name === sagaOrchestratorName && ranStepsAsSubOrchestrations(status.historyEvents)
      ? await readStepInstances(reader, id)
      : [];
  return { status: 200, headers: noStore, jsonBody: toInstanceDetail(status, now, steps) };
}

/**
 * The saga's step sub-orchestrations with their histories: their retries are only recorded
 * there. They are found by the "{sagaId}:" prefix of their instance ids.
 */
async function readStepInstances(reader: DurableStatusReader, sagaId: string): Promise<InstanceStatusPayload[]> {
  const children = await reader.listInstances({
    runtimeStatus: [],
    idPrefix: `${sagaId}:`,
    pageSize: 20,
    includeSteps: true,
  });
  const steps = children.instances.filter((child) => child.name === sagaStepOrchestratorName);
  const withHistory = await Promise.all(steps.map((step) => reader.getInstanceWithHistory(step.instanceId)));
  return withHistory.filter((step): step is InstanceStatusPayload => step !== undefined);
}

export interface ActionCall {
  readonly id: string | undefined;
  readonly action: string | undefined;
  readonly contentType: string | null;
  readonly contentLength?: string | null;
  /** The Sec-Fetch-Site header browsers send; undefined or null for other clients. */
  readonly fetchSite: string | null | undefined;
  readonly body: string;
}

export async function actOnInstance(
  call: ActionCall,
  client: MonitorClient,
  log: Log = () => undefined,
): Promise<HttpResponseInit> {
  const refused = refuseCrossSite(call.fetchSite);
  if (refused !== undefined) return refused;
  const problem = instanceIdProblem(call.id);
  if (problem !== undefined || call.id === undefined)
    return errorResponse(400, [{ path: 'route:id', message: problem ?? 'is required' }]);
  const id = call.id;
  const parsed = parseActionRequest({
    action: call.action,
    contentType: call.contentType,
    contentLength: call.contentLength ?? null,
    body: call.body,
  });
  if (!parsed.ok) return errorResponse(parsed.status, parsed.errors);
  const request = parsed.request;

  const status = await findInstance(client, id, request.action === 'restart');
  if (status === undefined) return notFound(id);
  const refusal = actionRefusal(request.action, status.runtimeStatus);
  if (refusal !== undefined) return errorResponse(409, [{ path: 'route:action', message: refusal }]);

  // The SDK puts reasons into the query string as they are: encoding them keeps "&" or "#" in a
  // reason from cutting the URL short. The Durable HTTP API decodes them again.
  switch (request.action) {
    case 'terminate':
      await client.terminate(id, encodeURIComponent(request.reason));
      return accepted(id, request.action, 'terminate requested: the orchestration stops at its next step', log);
    case 'suspend':
      await client.suspend(id, encodeURIComponent(request.reason));
      return accepted(id, request.action, 'suspend requested', log);
    case 'resume':
      await client.resume(id, encodeURIComponent(request.reason));
      return accepted(id, request.action, 'resume requested', log);
    case 'raiseEvent':
      await client.raiseEvent(id, request.eventName, request.eventData);
      return accepted(id, request.action, `event ${request.eventName} raised`, log);
    case 'restart': {
      const newId = await client.startNew(
        status.name,
        status.input === null || status.input === undefined ? {} : { input: status.input },
      );
      log(`monitor: restarted ${id} as ${newId}`);
      return {
        status: 202,
        headers: noStore,
        jsonBody: {
          instanceId: newId,
          restartedFrom: id,
          action: 'restart',
          message: `restarted as a new instance ${newId}`,
        },
      };
    }
  }
}

export async function purgeInstance(
  id: string | undefined,
  fetchSite: string | null | undefined,
  client: MonitorClient,
  log: Log = () => undefined,
): Promise<HttpResponseInit> {
  const refused = refuseCrossSite(fetchSite);
  if (refused !== undefined) return refused;
  const problem = instanceIdProblem(id);
  if (problem !== undefined || id === undefined)
    return errorResponse(400, [{ path: 'route:id', message: problem ?? 'is required' }]);
  const status = await findInstance(client, id, false);
  if (status === undefined) return notFound(id);
  const refusal = actionRefusal('purge', status.runtimeStatus);
  if (refusal !== undefined) return errorResponse(409, [{ path: 'route:id', message: refusal }]);
  const result = await client.purgeInstanceHistory(id);
  if (result.instancesDeleted === 0) return notFound(id);
  log(`monitor: purged ${id}`);
  return {
    status: 200,
    headers: noStore,
    jsonBody: { instanceId: id, action: 'purge', instancesDeleted: result.instancesDeleted, message: 'purged' },
  };
}

/**
 * Locally nothing checks keys, so a page on another site could try to post to 127.0.0.1. The JSON
 * content type already forces a preflight; browsers also say where a request comes from.
 */
function refuseCrossSite(fetchSite: string | null | undefined): HttpResponseInit | undefined {
  if (fetchSite === null || fetchSite === undefined || fetchSite === 'same-origin' || fetchSite === 'none')
    return undefined;
  return errorResponse(403, [
    {
      path: 'header:Sec-Fetch-Site',
      message: `is "${fetchSite}": monitor actions are accepted from the monitor page itself only`,
    },
  ]);
}

async function findInstance(
  client: MonitorClient,
  id: string,
  withInput: boolean,
): Promise<{ readonly name: string; readonly runtimeStatus: string; readonly input: unknown } | undefined> {
  try {
    return await client.getStatus(id, { showInput: withInput });
  } catch (error) {
    // The SDK has no typed "not found": it throws with the extension's HTTP 404 in the message.
    if (error instanceof Error && /\b404\b/.test(error.message)) return undefined;
    throw error;
  }
}

function accepted(id: string, action: InstanceAction, message: string, log: Log): HttpResponseInit {
  log(`monitor: ${action} ${id}`);
  return { status: 202, headers: noStore, jsonBody: { instanceId: id, action, message } };
}

function notFound(id: string): HttpResponseInit {
  return errorResponse(404, [{ path: 'route:id', message: `no instance with id "${id}" in this task hub` }]);
}

function errorResponse(status: number, errors: readonly FieldError[]): HttpResponseInit {
  return { status, headers: noStore, jsonBody: { errors } };
}

const clientInput = df.input.durableClient();

function readerFor(context: InvocationContext): DurableStatusReader {
  return durableStatusReader(context.extraInputs.get(clientInput));
}

app.http('monitorPage', {
  route: 'monitor',
  methods: ['GET'],
  authLevel: 'function',
  handler: () => serveMonitorPage(),
});

app.http('monitorPageScript', {
  route: pageScriptRoute,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: () => serveMonitorPageScript(),
});

app.http('monitorInstances', {
  route: 'monitor/instances',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: (request: HttpRequest, context: InvocationContext) => listInstances(request.query, readerFor(context)),
});

app.http('monitorInstance', {
  route: 'monitor/instances/{id}',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: (request: HttpRequest, context: InvocationContext) => readInstance(request.params.id, readerFor(context)),
});

app.http('monitorPurge', {
  route: 'monitor/instances/{id}',
  methods: ['DELETE'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: (request: HttpRequest, context: InvocationContext) =>
    purgeInstance(request.params.id, request.headers.get('sec-fetch-site'), df.getClient(context), (message) =>
      context.log(message),
    ),
});

app.http('monitorAction', {
  route: 'monitor/instances/{id}/{action}',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: async (request: HttpRequest, context: InvocationContext) =>
    actOnInstance(
      {
        id: request.params.id,
        action: request.params.action,
        contentType: request.headers.get('content-type'),
        contentLength: request.headers.get('content-length'),
        fetchSite: request.headers.get('sec-fetch-site'),
        // A declared oversize body is refused before it is read.
        body: Number(request.headers.get('content-length')) > maxActionBodyBytes ? '' : await request.text(),
      },
      df.getClient(context),
      (message) => context.log(message),
    ),
});
