import { z } from 'zod';
import { FieldError } from '../saga/orderInput';
import { InstanceAction, isInstanceAction } from './instanceActions';

// POST /api/monitor/instances/{id}/{action}: the action name and its JSON body, checked before the
// durable client is called. A JSON content type is required even for an empty body: a cross-site
// form or a no-cors fetch cannot send one without a CORS preflight, which the host never grants.

export const maxActionBodyBytes = 16 * 1024;
const defaultReason = 'requested in the saga monitor';

/** Event names travel in the URL path of the Durable HTTP API, so only URL-safe names are taken. */
export const eventNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

const reasonSchema = z
  .string({ error: 'must be a string' })
  .max(500, { error: 'must be at most 500 characters' })
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]*$/, { error: 'must be one line without control characters' })
  .optional();

const reasonBodySchema = z.strictObject({ reason: reasonSchema }, { error: 'must be a JSON object' });
const restartBodySchema = z.strictObject({}, { error: 'must be a JSON object' });
const raiseEventBodySchema = z.strictObject(
  {
    name: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .regex(eventNamePattern, {
        error: 'must be 1-100 letters, digits, "_", "." or "-", starting with a letter or digit',
      }),
    data: z.unknown().optional(),
  },
  { error: 'must be a JSON object' },
);

export type ActionRequest =
  | { readonly action: 'terminate' | 'suspend' | 'resume'; readonly reason: string }
  | { readonly action: 'restart' }
  | { readonly action: 'raiseEvent'; readonly eventName: string; readonly eventData: unknown };

export type ActionRequestValidation =
  | { readonly ok: true; readonly request: ActionRequest }
  | { readonly ok: false; readonly status: 400 | 404 | 413 | 415; readonly errors: readonly FieldError[] };

export interface RawActionRequest {
  readonly action: string | undefined;
  readonly contentType: string | null;
  /** The Content-Length header when present: an oversize body is refused before it is read. */
  readonly contentLength?: string | null;
  readonly body: string;
}

export function parseActionRequest(raw: RawActionRequest): ActionRequestValidation {
  const action = raw.action ?? '';
  if (!isInstanceAction(action)) {
    return refuse(
      404,
      'route:action',
      `"${action}" is not an action; use terminate, suspend, resume, restart or raiseEvent`,
    );
  }
  if (action === 'purge') {
    return refuse(404, 'route:action', 'purge is DELETE /api/monitor/instances/{id}, not a POST');
  }
  if (!/^application\/json\s*(;|$)/i.test(raw.contentType ?? '')) {
    return refuse(415, 'header:Content-Type', 'must be application/json (send {} when there is nothing to say)');
  }
  const declared = raw.contentLength === undefined || raw.contentLength === null ? NaN : Number(raw.contentLength);
  const actual = Buffer.byteLength(raw.body, 'utf8');
  const size = Number.isFinite(declared) ? Math.max(declared, actual) : actual;
  if (size > maxActionBodyBytes) {
    return refuse(413, '$', `body is ${size} bytes; the limit is ${maxActionBodyBytes} bytes`);
  }
  let json: unknown = {};
  if (raw.body.trim() !== '') {
    try {
      json = JSON.parse(raw.body);
    } catch (error) {
      return refuse(400, '$', `body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return parseBody(action, json);
}

function parseBody(action: Exclude<InstanceAction, 'purge'>, json: unknown): ActionRequestValidation {
  switch (action) {
    case 'terminate':
    case 'suspend':
    case 'resume': {
      const parsed = reasonBodySchema.safeParse(json);
      if (!parsed.success) return invalid(parsed.error);
      const reason = parsed.data.reason?.trim();
      return { ok: true, request: { action, reason: reason === undefined || reason === '' ? defaultReason : reason } };
    }
    case 'restart': {
      const parsed = restartBodySchema.safeParse(json);
      return parsed.success ? { ok: true, request: { action } } : invalid(parsed.error);
    }
    case 'raiseEvent': {
      const parsed = raiseEventBodySchema.safeParse(json);
      if (!parsed.success) return invalid(parsed.error);
      return { ok: true, request: { action, eventName: parsed.data.name, eventData: parsed.data.data ?? null } };
    }
  }
}

function invalid(error: z.ZodError): ActionRequestValidation {
  const errors = error.issues.flatMap((issue): FieldError[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: jsonPath([...issue.path, key]), message: 'is not a field of this action' }))
      : [{ path: jsonPath(issue.path), message: issue.message }],
  );
  return { ok: false, status: 400, errors };
}

function refuse(status: 400 | 404 | 413 | 415, path: string, message: string): ActionRequestValidation {
  return { ok: false, status, errors: [{ path, message }] };
}

function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`),
    '$',
  );
}
