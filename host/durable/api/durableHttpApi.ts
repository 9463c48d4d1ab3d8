import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FunctionRegistry } from '../../app/functionRegistry';
import type { HttpServer, RouteContext } from '../../http/httpServer';
import { badRequest, gone, notFound } from '../../http/problems';
import { InvalidContinuationTokenError, type InstanceQuery, type InstanceRecord } from '../../store/taskHubStore';
import { historyEvents, OrchestrationStatus, type RuntimeStatus } from '../history/historyEvent';
import type { Clock } from '../engine/clock';
import { InstanceAlreadyExistsError, type DurableEngine } from '../engine/durableEngine';
import { isFinished } from '../engine/orchestrationEpisode';
import { checkStatusPayload, DURABLE_API_BASE } from './clientBinding';
import { statusPayload, statusText, statusTime } from './statusPayload';
import { entityIdOf, entityState } from '../engine/entityEpisode';
import { schedulerId } from '../engine/entityMessages';
import { storedIdProblem } from '../../store/tableKeys';

interface ApiDependencies {
  engine: DurableEngine;
  registry: FunctionRegistry;
  clock: Clock;
  hubName: string;
  /** host.json defaultVersion: the version of instances started without one. */
  defaultVersion: string;
}

const RUNTIME_STATUSES = Object.keys(OrchestrationStatus).filter((k) => Number.isNaN(Number(k))) as RuntimeStatus[];
const RUNNING_LIKE = new Set<RuntimeStatus>(['Running', 'Pending', 'ContinuedAsNew', 'Suspended']);

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  jsonText(res, status, JSON.stringify(body), headers);
}

function jsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The extension maps unexpected exceptions to 500 with an ASP.NET HttpError body. */
function serverError(res: ServerResponse, error: Error, type: string): void {
  json(res, 500, {
    Message: 'Something went wrong while processing your request',
    ExceptionMessage: error.message,
    ExceptionType: type,
  });
}

/** Instance ids the extension accepts: no leading '@', none of / \ ? # or control characters, at most 256. */
export function instanceIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'The instance id must not be empty.';
  if (id.length > 256) return 'The instance id must be at most 256 characters long.';
  if (id.startsWith('@')) return "The instance id must not start with '@' (reserved for entities).";
  // eslint-disable-next-line no-control-regex
  if (/[/\\?#\u0000-\u001f\u007f-\u009f]/.test(id))
    return "The instance id must not contain '/', '\\', '?', '#' or control characters.";
  return storedIdProblem(id);
}

function flag(url: URL, name: string, fallback: boolean): boolean {
  const value = url.searchParams.get(name);
  if (value === null) return fallback;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  throw badRequest(`The query parameter ${name} must be true or false, not '${value}'.`);
}

/** .NET's DateTime range (years 1 to 9999): what the extension can parse and table storage can filter on. */
const FIRST_DAY = new Date('0001-01-01T00:00:00Z').getTime();
const LAST_MOMENT = new Date('9999-12-31T23:59:59.999Z').getTime();

/**
 * ISO 8601 dates and times (the Durable HTTP API's documented form), or an HTTP date. JavaScript's
 * Date reads far more ("1" is the year 2001), more than the extension's DateTime.TryParse does, and
 * a purge by filter whose createdTimeFrom was read that way purged every instance.
 */
const ISO_DATE = /^[+-]?\d{4,6}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function dateParam(url: URL, name: string): Date | undefined {
  const value = url.searchParams.get(name);
  if (value === null || value === '') return undefined;
  const date = ISO_DATE.test(value) || HTTP_DATE.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()))
    throw badRequest(
      `The query parameter ${name} is not a date: '${value}'. Give an ISO 8601 date and time, e.g. 2026-01-31T00:00:00Z.`,
    );
  if (date.getTime() < FIRST_DAY || date.getTime() > LAST_MOMENT)
    throw badRequest(`The query parameter ${name} must be a date between the years 1 and 9999, not '${value}'.`);
  return date;
}

function statusesParam(url: URL): RuntimeStatus[] | undefined {
  const value = url.searchParams.get('runtimeStatus');
  if (!value) return undefined;
  return value.split(',').map((raw) => {
    const name = RUNTIME_STATUSES.find((s) => s.toLowerCase() === raw.trim().toLowerCase());
    if (!name) throw badRequest(`runtimeStatus '${raw}' is not one of ${RUNTIME_STATUSES.join(', ')}.`);
    return name;
  });
}

function positiveInt(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw badRequest(`The query parameter ${name} must be a positive whole number, not '${value}'.`);
  return n;
}

/** A page of instances; a continuation token the store does not know is the client's mistake (400). */
async function queryPage(engine: DurableEngine, query: InstanceQuery): ReturnType<DurableEngine['queryInstances']> {
  try {
    return await engine.queryInstances(query);
  } catch (error) {
    if (error instanceof InvalidContinuationTokenError)
      throw badRequest('The x-ms-continuation-token header is not a continuation token this task hub handed out.');
    throw error;
  }
}

/** JSON body text, re-serialized compactly as the extension stores it; empty means no input. */
async function jsonBody(ctx: RouteContext, required: boolean): Promise<string | null> {
  const text = (await ctx.body()).toString('utf8');
  if (text.trim().length === 0) {
    if (required) throw badRequest('Invalid JSON content: the request body is empty.');
    return null;
  }
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw badRequest(`Invalid JSON content: ${(error as Error).message}`);
  }
}

/** The public Durable HTTP API (also the SDK client's rpc endpoint), with the extension's status codes and shapes. */
export function registerDurableHttpApi(server: HttpServer, deps: ApiDependencies): void {
  const { engine, registry, clock, hubName, defaultVersion } = deps;
  const base = DURABLE_API_BASE;
  const origin = (ctx: RouteContext): string => `http://${ctx.req.headers.host ?? 'localhost'}`;

  const checkHub = (ctx: RouteContext): void => {
    const hub = ctx.url.searchParams.get('taskHub');
    if (hub && hub.toLowerCase() !== hubName.toLowerCase())
      throw badRequest(`This host serves the task hub '${hubName}' only, not '${hub}'.`);
  };

  const instance = async (ctx: RouteContext): Promise<InstanceRecord> => {
    checkHub(ctx);
    const id = ctx.params.id ?? '';
    const record = await engine.getRecord(id);
    if (!record) throw notFound(`No instance with the id '${id}' was found.`);
    return record;
  };

  const sendStatus = async (ctx: RouteContext, record: InstanceRecord): Promise<void> => {
    const options = {
      showInput: flag(ctx.url, 'showInput', true),
      showHistory: flag(ctx.url, 'showHistory', false),
      showHistoryOutput: flag(ctx.url, 'showHistoryOutput', false),
    };
    const text = options.showHistory
      ? JSON.stringify(statusPayload(record, options, await engine.getHistory(record)))
      : statusText(record, options.showInput);
    if (RUNNING_LIKE.has(record.runtimeStatus)) {
      jsonText(ctx.res, 202, text, { Location: ctx.url.toString(), 'Retry-After': '5' });
    } else {
      const failedAs500 =
        record.runtimeStatus === 'Failed' && flag(ctx.url, 'returnInternalServerErrorOnFailure', false);
      jsonText(ctx.res, failedAs500 ? 500 : 200, text);
    }
  };

  /** The wait mode of a start or restart, read before anything starts so a bad value starts nothing. */
  const waitMode = (ctx: RouteContext): { timeout: number | undefined; interval: number } => ({
    timeout: positiveInt(ctx.url, 'timeout'),
    interval: (positiveInt(ctx.url, 'pollingInterval') ?? 1) * 1000,
  });

  /** Answers 202 with the status URLs, or with wait mode the finished instance when it ends in time. */
  const answerStarted = async (
    ctx: RouteContext,
    instanceId: string,
    { timeout, interval }: { timeout: number | undefined; interval: number },
  ): Promise<void> => {
    const payload = checkStatusPayload(origin(ctx), hubName, instanceId);
    const accepted = (): void =>
      json(ctx.res, 202, payload, { Location: payload.statusQueryGetUri, 'Retry-After': '10' });
    if (timeout === undefined) {
      accepted();
      return;
    }
    const deadline = Date.now() + timeout * 1000;
    for (;;) {
      const record = await engine.getRecord(instanceId);
      if (record?.runtimeStatus === 'Completed') {
        json(ctx.res, 200, JSON.parse(record.output ?? 'null'));
        return;
      }
      if (record && isFinished(record)) {
        json(ctx.res, 200, statusPayload(record, { showInput: true, showHistory: false, showHistoryOutput: false }));
        return;
      }
      if (Date.now() + interval > deadline) {
        accepted();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(interval, 100)));
    }
  };

  const start = async (ctx: RouteContext): Promise<void> => {
    checkHub(ctx);
    const name = ctx.params.fn ?? '';
    const fn = registry.find(name, 'orchestration');
    if (!fn) throw badRequest(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    const instanceId = ctx.params.id ?? randomUUID().replace(/-/g, '');
    const problem = instanceIdProblem(instanceId);
    if (problem) throw badRequest(problem);
    const wait = waitMode(ctx);
    const input = await jsonBody(ctx, false);
    try {
      await engine.startInstance({
        name: fn.name,
        instanceId,
        input,
        version: ctx.url.searchParams.get('version') || defaultVersion,
        newId: ctx.params.id === undefined,
      });
    } catch (error) {
      if (error instanceof InstanceAlreadyExistsError) {
        serverError(ctx.res, error, 'DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException');
        return;
      }
      throw error;
    }
    await answerStarted(ctx, instanceId, wait);
  };

  const list = async (ctx: RouteContext): Promise<void> => {
    checkHub(ctx);
    const showInput = flag(ctx.url, 'showInput', false);
    const token = ctx.req.headers['x-ms-continuation-token'];
    const page = await queryPage(engine, {
      createdTimeFrom: dateParam(ctx.url, 'createdTimeFrom'),
      createdTimeTo: dateParam(ctx.url, 'createdTimeTo'),
      runtimeStatus: statusesParam(ctx.url),
      instanceIdPrefix: ctx.url.searchParams.get('instanceIdPrefix') ?? undefined,
      top: positiveInt(ctx.url, 'top') ?? 100,
      continuationToken: typeof token === 'string' && token.length > 0 ? token : undefined,
    });
    // Entities live in the same hub but are not orchestrations: GET entities/{name} lists them.
    const body = page.records
      .filter((r) => !r.instanceId.startsWith('@'))
      .map((r) => statusPayload(r, { showInput, showHistory: false, showHistoryOutput: false }));
    json(ctx.res, 200, body, page.continuationToken ? { 'x-ms-continuation-token': page.continuationToken } : {});
  };

  const purgeMany = async (ctx: RouteContext): Promise<void> => {
    checkHub(ctx);
    const from = dateParam(ctx.url, 'createdTimeFrom');
    if (!from) throw badRequest('createdTimeFrom is required to purge instances by filter.');
    const query = {
      createdTimeFrom: from,
      createdTimeTo: dateParam(ctx.url, 'createdTimeTo') ?? clock.now(),
      runtimeStatus: statusesParam(ctx.url),
      top: 100,
    };
    let deleted = 0;
    let continuationToken: string | undefined;
    do {
      const page = await engine.queryInstances({ ...query, continuationToken });
      for (const record of page.records) if (await engine.purge(record.instanceId)) deleted++;
      continuationToken = page.continuationToken;
    } while (continuationToken);
    json(ctx.res, deleted > 0 ? 200 : 404, { instancesDeleted: deleted });
  };

  const requireRunning = (record: InstanceRecord, action: string): void => {
    if (isFinished(record))
      throw gone(`The instance '${record.instanceId}' is ${record.runtimeStatus}; it cannot be ${action}.`);
  };

  const reason = (ctx: RouteContext): string | null => ctx.url.searchParams.get('reason');

  server.route(['POST'], `${base}/orchestrators/:fn`, start);
  server.route(['POST'], `${base}/orchestrators/:fn/:id`, start);
  server.route(['GET'], `${base}/instances`, list);
  server.route(['DELETE'], `${base}/instances`, purgeMany);
  server.route(['GET'], `${base}/instances/:id`, async (ctx) => sendStatus(ctx, await instance(ctx)));
  server.route(['DELETE'], `${base}/instances/:id`, async (ctx) => {
    const record = await instance(ctx);
    await engine.purge(record.instanceId);
    json(ctx.res, 200, { instancesDeleted: 1 });
  });
  server.route(['POST'], `${base}/instances/:id/raiseEvent/:event`, async (ctx) => {
    const contentType = ctx.req.headers['content-type'] ?? '';
    if (!/^application\/json/i.test(contentType))
      throw badRequest('Only application/json request content is supported');
    const record = await instance(ctx);
    const data = await jsonBody(ctx, true);
    requireRunning(record, 'sent events');
    await engine.sendMessage(record.instanceId, historyEvents.eventRaised(clock.now(), ctx.params.event ?? '', data));
    ctx.res.writeHead(202, { 'Content-Length': 0 });
    ctx.res.end();
  });
  server.route(['POST'], `${base}/instances/:id/terminate`, async (ctx) => {
    const record = await instance(ctx);
    requireRunning(record, 'terminated');
    await engine.sendMessage(record.instanceId, historyEvents.executionTerminated(clock.now(), reason(ctx)));
    ctx.res.writeHead(202, { 'Content-Length': 0 });
    ctx.res.end();
  });
  server.route(['POST'], `${base}/instances/:id/suspend`, async (ctx) => {
    const record = await instance(ctx);
    requireRunning(record, 'suspended');
    if (record.runtimeStatus === 'Suspended') {
      serverError(
        ctx.res,
        new Error(`The instance '${record.instanceId}' is already suspended.`),
        'System.InvalidOperationException',
      );
      return;
    }
    await engine.sendMessage(record.instanceId, historyEvents.executionSuspended(clock.now(), reason(ctx)));
    ctx.res.writeHead(202, { 'Content-Length': 0 });
    ctx.res.end();
  });
  server.route(['POST'], `${base}/instances/:id/resume`, async (ctx) => {
    const record = await instance(ctx);
    requireRunning(record, 'resumed');
    if (record.runtimeStatus !== 'Suspended') {
      serverError(
        ctx.res,
        new Error(`The instance '${record.instanceId}' is not suspended.`),
        'System.InvalidOperationException',
      );
      return;
    }
    await engine.sendMessage(record.instanceId, historyEvents.executionResumed(clock.now(), reason(ctx)));
    ctx.res.writeHead(202, { 'Content-Length': 0 });
    ctx.res.end();
  });
  server.route(['POST'], `${base}/instances/:id/restart`, async (ctx) => {
    const record = await instance(ctx);
    const withNewId = flag(ctx.url, 'restartWithNewInstanceId', true);
    const newId = withNewId ? randomUUID().replace(/-/g, '') : record.instanceId;
    const wait = waitMode(ctx);
    try {
      await engine.startInstance({
        name: record.name,
        instanceId: newId,
        input: record.input,
        version: record.version,
        newId: withNewId,
      });
    } catch (error) {
      if (error instanceof InstanceAlreadyExistsError) {
        serverError(ctx.res, error, 'DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException');
        return;
      }
      throw error;
    }
    await answerStarted(ctx, newId, wait);
  });
  server.route(['POST'], `${base}/instances/:id/rewind`, async (ctx) => {
    const record = await instance(ctx);
    if (['Completed', 'Terminated', 'Canceled'].includes(record.runtimeStatus))
      throw gone(
        `The instance '${record.instanceId}' is ${record.runtimeStatus}; only a failed instance can be rewound.`,
      );
    if (record.runtimeStatus !== 'Failed') {
      serverError(
        ctx.res,
        new Error('The rewind operation is only supported on failed orchestration instances.'),
        'System.InvalidOperationException',
      );
      return;
    }
    await engine.rewind(record.instanceId, reason(ctx));
    ctx.res.writeHead(202, { 'Content-Length': 0 });
    ctx.res.end();
  });
  // Entities: read, list, signal (POST with ?op=), delete (signals the "delete" operation).
  const entityKey = (ctx: RouteContext): string => {
    const key = ctx.params.key ?? '';
    const problem = storedIdProblem(schedulerId(ctx.params.name ?? '', key));
    if (problem) throw badRequest(`The entity key is too long. ${problem}`);
    return key === '$' ? '' : key;
  };
  const entityFunction = (ctx: RouteContext): string => {
    checkHub(ctx);
    const name = ctx.params.name ?? '';
    const fn = registry.find(name, 'entity');
    if (!fn) throw notFound(`No entity function named '${name}'.`);
    return fn.name;
  };
  server.route(['GET'], `${base}/entities/:name/:key`, async (ctx) => {
    const id = schedulerId(entityFunction(ctx), entityKey(ctx));
    const record = await engine.getRecord(id);
    const state = record ? entityState(record) : undefined;
    if (!state?.exists) throw notFound(`The entity '${id}' does not exist.`);
    json(ctx.res, 200, JSON.parse(state.state ?? 'null'));
  });
  server.route(['GET'], `${base}/entities/:name`, async (ctx) => {
    const name = entityFunction(ctx);
    const fetchState = flag(ctx.url, 'fetchState', false);
    const token = ctx.req.headers['x-ms-continuation-token'];
    const page = await queryPage(engine, {
      instanceIdPrefix: schedulerId(name, ''),
      top: positiveInt(ctx.url, 'top') ?? 100,
      continuationToken: typeof token === 'string' && token.length > 0 ? token : undefined,
    });
    const body = page.records
      .map((record) => ({ record, state: entityState(record) }))
      .filter(({ state }) => state.exists)
      .map(({ record, state }) => ({
        entityId: entityIdOf(record.instanceId),
        lastOperationTime: statusTime(record.lastUpdatedTime),
        ...(fetchState ? { state: JSON.parse(state.state ?? 'null') as unknown } : {}),
      }));
    json(ctx.res, 200, body, page.continuationToken ? { 'x-ms-continuation-token': page.continuationToken } : {});
  });
  server.route(['POST'], `${base}/entities/:name/:key`, async (ctx) => {
    const id = schedulerId(entityFunction(ctx), entityKey(ctx));
    const op = ctx.url.searchParams.get('op');
    if (!op) throw badRequest('The query parameter op (the operation to signal) is required.');
    const text = (await ctx.body()).toString('utf8');
    // Non-JSON content is passed on as a string, as the extension does.
    let input: string | null = null;
    if (text.length > 0) {
      try {
        input = JSON.stringify(JSON.parse(text));
      } catch {
        input = JSON.stringify(text);
      }
    }
    await engine.signalEntity(id, op, input);
    ctx.res.writeHead(202, { 'Content-Length': 0 });
    ctx.res.end();
  });
  server.route(['DELETE'], `${base}/entities/:name/:key`, async (ctx) => {
    await engine.signalEntity(schedulerId(entityFunction(ctx), entityKey(ctx)), 'delete', null);
    ctx.res.writeHead(202, { 'Content-Length': 0 });
    ctx.res.end();
  });
}
