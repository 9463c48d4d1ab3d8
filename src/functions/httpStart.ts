import { app, HttpRequest, HttpResponse, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { FieldError, maxOrderBodyBytes, Order, sameOrder, validateOrderRequest } from '../saga/orderInput';
import { SagaInput } from '../saga/sagaInput';
import { readSagaPolicy } from '../saga/sagaSettings';
import { AppSettings, SettingsError } from '../saga/settingsReader';
import { sagaOrchestratorName } from '../saga/steps';

// POST /api/orders: validate, start the saga, answer 202 with the status URLs. With an
// Idempotency-Key header (or an "instanceId" field) the key names the instance, and a repeated
// request answers with the same URLs instead of starting a second saga.

/** The part of the durable client the starter needs (DurableClient satisfies it; tests fake it). */
export interface OrderStarterClient {
  startNew(orchestratorName: string, options: { instanceId?: string; input: unknown }): Promise<string>;
  getStatus(
    instanceId: string,
    options?: { showInput?: boolean },
  ): Promise<{ readonly name: string; readonly input: unknown }>;
  createCheckStatusResponse(request: HttpRequest, instanceId: string): HttpResponse;
}

type Log = (message: string) => void;

export async function startOrder(
  request: HttpRequest,
  client: OrderStarterClient,
  settings: AppSettings,
  log: Log = () => undefined,
): Promise<HttpResponse | HttpResponseInit> {
  if (!isJsonContentType(request.headers.get('content-type'))) {
    return errorResponse(415, [
      {
        path: 'header:Content-Type',
        message:
          'must be application/json: orders are JSON, and a form or text body (which any web page can send without a CORS preflight) starts nothing',
      },
    ]);
  }
  const validation = validateOrderRequest({
    // A declared oversize body is refused before it is read.
    contentLength: request.headers.get('content-length'),
    body: oversizeDeclared(request) ? '' : await request.text(),
    idempotencyKey: request.headers.get('idempotency-key'),
  });
  if (!validation.ok) return errorResponse(validation.status, validation.errors);

  let input: SagaInput;
  try {
    input = { order: validation.order, policy: readSagaPolicy(settings) };
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    log(`order refused: ${error.message}`);
    return errorResponse(
      500,
      error.problems.map((message) => ({ path: 'settings', message })),
    );
  }

  const instanceId = validation.instanceId;
  if (instanceId !== undefined) {
    const repeat = await answerRepeat(request, client, instanceId, validation.order);
    if (repeat !== undefined) return repeat;
  }

  try {
    const id = await client.startNew(sagaOrchestratorName, { ...(instanceId ? { instanceId } : {}), input });
    log(`order saga ${id} started`);
    return client.createCheckStatusResponse(request, id);
  } catch (error) {
    // Two identical requests at once: both saw no instance, and the extension refuses the second
    // start of a running instance (HTTP 500 from its API). The saga exists: answer like a repeat.
    if (instanceId !== undefined) {
      const repeat = await answerRepeat(request, client, instanceId, validation.order);
      if (repeat !== undefined) return repeat;
    }
    log(`order saga could not be started: ${error instanceof Error ? error.message : String(error)}`);
    return errorResponse(500, [{ path: '$', message: 'the order saga could not be started; try again' }]);
  }
}

/** The answer for a key already in use, or undefined when no instance has this id yet. */
async function answerRepeat(
  request: HttpRequest,
  client: OrderStarterClient,
  instanceId: string,
  order: Order,
): Promise<HttpResponse | HttpResponseInit | undefined> {
  const existing = await findInstance(client, instanceId);
  if (existing === undefined) return undefined;
  const existingOrder = sagaOrderOf(existing);
  if (existing.name !== sagaOrchestratorName || !sameOrder(existingOrder, order)) {
    return errorResponse(409, [
      { path: 'header:Idempotency-Key', message: `"${instanceId}" was already used for a different order` },
    ]);
  }
  return client.createCheckStatusResponse(request, instanceId);
}

async function findInstance(
  client: OrderStarterClient,
  instanceId: string,
): Promise<{ readonly name: string; readonly input: unknown } | undefined> {
  try {
    return await client.getStatus(instanceId, { showInput: true });
  } catch (error) {
    // The SDK has no typed "not found": it throws with the extension's HTTP 404 in the message.
    if (error instanceof Error && /\b404\b/.test(error.message)) return undefined;
    throw error;
  }
}

function sagaOrderOf(status: { readonly input: unknown }): unknown {
  const input = status.input;
  return input !== null && typeof input === 'object' ? (input as { order?: unknown }).order : undefined;
}

/**
 * Only a JSON content type: browsers send text/plain, form and multipart bodies across sites
 * without a preflight, so accepting them would let any page start sagas on a developer's host.
 */
function isJsonContentType(contentType: string | null): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType ?? '');
}

function oversizeDeclared(request: HttpRequest): boolean {
  const declared = Number(request.headers.get('content-length'));
  return Number.isFinite(declared) && declared > maxOrderBodyBytes;
}

export function errorResponse(status: number, errors: readonly FieldError[]): HttpResponseInit {
  return { status, jsonBody: { errors } };
}

app.http('httpStart', {
  route: 'orders',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: (request: HttpRequest, context: InvocationContext) =>
    startOrder(request, df.getClient(context), process.env, (message) => context.log(message)),
});
