import { FieldError } from '../saga/orderInput';
import { filterTime } from './timestamps';

// GET /api/monitor/instances?status=Running,Failed&createdFrom=…&createdTo=…&idPrefix=…&pageSize=…
// &includeSteps=true&continuationToken=…: the query the page sends, checked before anything
// reaches the task hub. Unknown parameters are refused so that a typo ("staus") does not silently
// show everything.

/** Runtime statuses the Durable HTTP API filters by (Canceled is reserved and never used). */
export const runtimeStatusNames = [
  'Pending',
  'Running',
  'Suspended',
  'Completed',
  'Failed',
  'Terminated',
  'ContinuedAsNew',
] as const;
export type RuntimeStatusName = (typeof runtimeStatusNames)[number];

export const defaultPageSize = 20;
export const maxPageSize = 100;
const maxTokenLength = 4_096;
/** Ids and prefixes the monitor can put into a URL path unchanged (see instanceIdProblem). */
const idCharacters = /^[A-Za-z0-9_.:-]*$/;

export interface InstanceListQuery {
  readonly runtimeStatus: readonly RuntimeStatusName[];
  readonly createdFrom?: Date;
  readonly createdTo?: Date;
  readonly idPrefix?: string;
  readonly pageSize: number;
  /** Also list the saga's step sub-orchestrations (hidden by default: the saga's timeline shows them). */
  readonly includeSteps: boolean;
  readonly continuationToken?: string;
}

export type ListQueryValidation =
  | { readonly ok: true; readonly query: InstanceListQuery }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/** `code` is the function key Azure reads from the query string; it is not the monitor's. */
const knownParameters = new Set([
  'status',
  'createdFrom',
  'createdTo',
  'idPrefix',
  'pageSize',
  'includeSteps',
  'continuationToken',
  'code',
]);

export function parseListQuery(params: URLSearchParams): ListQueryValidation {
  const errors: FieldError[] = [];
  for (const name of new Set(params.keys())) {
    if (!knownParameters.has(name)) {
      errors.push({
        path: `query:${name}`,
        message:
          'is not a filter of the monitor (use status, createdFrom, createdTo, idPrefix, pageSize, includeSteps, continuationToken)',
      });
    }
  }

  const runtimeStatus = parseStatuses(params.getAll('status'), errors);
  const createdFrom = parseTime(params, 'createdFrom', errors);
  const createdTo = parseTime(params, 'createdTo', errors);
  if (createdFrom !== undefined && createdTo !== undefined && createdFrom.getTime() > createdTo.getTime()) {
    errors.push({ path: 'query:createdFrom', message: 'is later than createdTo; the range would be empty' });
  }

  const idPrefix = params.get('idPrefix') ?? '';
  if (idPrefix.length > 256 || !idCharacters.test(idPrefix)) {
    errors.push({ path: 'query:idPrefix', message: 'must be at most 256 letters, digits, "_", ".", ":" or "-"' });
  }

  const pageSize = parsePageSize(params.get('pageSize'), errors);

  const includeSteps = (params.get('includeSteps') || 'false').trim().toLowerCase();
  if (includeSteps !== 'true' && includeSteps !== 'false') {
    errors.push({ path: 'query:includeSteps', message: 'must be true or false' });
  }

  const continuationToken = params.get('continuationToken') ?? '';
  // The token is opaque; it only has to be something a header can carry.
  if (continuationToken.length > maxTokenLength || !/^[\x21-\x7e]*$/.test(continuationToken)) {
    errors.push({ path: 'query:continuationToken', message: 'is not a continuation token this monitor handed out' });
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    query: {
      runtimeStatus,
      ...(createdFrom !== undefined ? { createdFrom } : {}),
      ...(createdTo !== undefined ? { createdTo } : {}),
      ...(idPrefix !== '' ? { idPrefix } : {}),
      pageSize,
      includeSteps: includeSteps === 'true',
      ...(continuationToken !== '' ? { continuationToken } : {}),
    },
  };
}

function parseStatuses(values: readonly string[], errors: FieldError[]): RuntimeStatusName[] {
  const names = values
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const found: RuntimeStatusName[] = [];
  for (const name of names) {
    const status = runtimeStatusNames.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    if (status === undefined) {
      errors.push({
        path: 'query:status',
        message: `"${name}" is not a runtime status; use ${runtimeStatusNames.join(', ')}`,
      });
    } else if (!found.includes(status)) {
      found.push(status);
    }
  }
  return found;
}

function parseTime(params: URLSearchParams, name: string, errors: FieldError[]): Date | undefined {
  const value = params.get(name);
  if (value === null || value.trim() === '') return undefined;
  const time = filterTime(value);
  if (time === undefined) {
    errors.push({
      path: `query:${name}`,
      message: 'must be an ISO 8601 time with a zone in the years 1 to 9999, such as 2025-03-01T10:00:00Z',
    });
  }
  return time;
}

function parsePageSize(value: string | null, errors: FieldError[]): number {
  if (value === null || value.trim() === '') return defaultPageSize;
  const size = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(size) || size < 1 || size > maxPageSize) {
    errors.push({ path: 'query:pageSize', message: `must be a whole number from 1 to ${maxPageSize}` });
    return defaultPageSize;
  }
  return size;
}

/**
 * The monitor's rule for instance ids in its routes. The Durable HTTP API allows more, but every id
 * this app creates (32 hex digits or an idempotency key) fits, and ids of this shape go into the
 * durable client's URLs unchanged.
 */
export function instanceIdProblem(id: string | undefined): string | undefined {
  if (id === undefined || id === '') return 'is required';
  if (id.length > 256) return 'must be at most 256 characters';
  if (!/^[A-Za-z0-9]/.test(id) || !idCharacters.test(id)) {
    return 'must start with a letter or digit and contain only letters, digits, "_", ".", ":" or "-"';
  }
  return undefined;
}
