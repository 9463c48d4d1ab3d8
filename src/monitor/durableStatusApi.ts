import { z } from 'zod';
import { InstanceListQuery } from './listQuery';

// The two reads the SDK's DurableClient cannot do for the monitor, done against the same Durable
// HTTP API the client itself calls (the binding's rpcBaseUrl, or its management URLs on an
// extension without one):
// - one page of instances: getStatusBy/getStatusAll follow x-ms-continuation-token to the end,
//   so a task hub with thousands of instances would be read whole for every page. Here `top` and
//   the token are passed through, and the token the API answers with goes back to the page.
// - one instance with its history: the SDK maps the answer into DurableOrchestrationStatus, which
//   copies a `history` field, while the extension sends the events as `historyEvents`.
// Everything else (terminate, suspend, resume, raise event, purge, start) goes through the SDK.

/** One instance as the Durable HTTP API answers (GET …/instances/{id} or an item of the list). */
export const instanceStatusPayloadSchema = z.object({
  name: z.string(),
  instanceId: z.string(),
  runtimeStatus: z.string(),
  input: z.unknown().optional(),
  customStatus: z.unknown().optional(),
  output: z.unknown().optional(),
  createdTime: z.string(),
  lastUpdatedTime: z.string(),
  historyEvents: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type InstanceStatusPayload = z.infer<typeof instanceStatusPayloadSchema>;

export interface InstancePage {
  readonly instances: readonly InstanceStatusPayload[];
  /** Present when the task hub has more; the page sends it back to read the next page. */
  readonly continuationToken?: string;
}

export interface DurableStatusReader {
  listInstances(query: InstanceListQuery): Promise<InstancePage>;
  /** The instance with input, output and history, or undefined when the task hub has no such id. */
  getInstanceWithHistory(instanceId: string): Promise<InstanceStatusPayload | undefined>;
}

/** The Durable HTTP API answered something the monitor cannot use. */
export class DurableApiError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`the Durable HTTP API answered ${status}: ${detail}`);
    this.name = 'DurableApiError';
  }
}

/** The part of the durableClient binding data (OrchestrationClientInputData) the reads need. */
const bindingSchema = z.object({
  rpcBaseUrl: z.string().nullish(),
  managementUrls: z.object({ id: z.string(), statusQueryGetUri: z.string() }),
});

const continuationHeader = 'x-ms-continuation-token';

/** Builds the reader from the raw durableClient input, as `context.extraInputs.get(...)` returns it. */
export function durableStatusReader(bindingData: unknown, fetchImpl: typeof fetch = fetch): DurableStatusReader {
  const binding = bindingSchema.parse(typeof bindingData === 'string' ? JSON.parse(bindingData) : bindingData);
  const instanceUrl = instanceUrlBuilder(binding);

  return {
    async listInstances(query) {
      const url = instanceUrl('');
      url.searchParams.set('showInput', 'false');
      url.searchParams.set('top', String(query.pageSize));
      if (query.runtimeStatus.length > 0) url.searchParams.set('runtimeStatus', query.runtimeStatus.join(','));
      if (query.createdFrom !== undefined) url.searchParams.set('createdTimeFrom', query.createdFrom.toISOString());
      if (query.createdTo !== undefined) url.searchParams.set('createdTimeTo', query.createdTo.toISOString());
      if (query.idPrefix !== undefined) url.searchParams.set('instanceIdPrefix', query.idPrefix);
      const headers: Record<string, string> = {};
      if (query.continuationToken !== undefined) headers[continuationHeader] = query.continuationToken;
      const response = await fetchImpl(url, { headers });
      if (response.status !== 200) throw new DurableApiError(response.status, await response.text());
      const instances = z.array(instanceStatusPayloadSchema).parse(await response.json());
      const token = response.headers.get(continuationHeader);
      // Some versions send an empty or "null" token on the last page.
      const more = token !== null && token !== '' && token !== 'null';
      return { instances, ...(more ? { continuationToken: token } : {}) };
    },

    async getInstanceWithHistory(instanceId) {
      const url = instanceUrl(instanceId);
      url.searchParams.set('showInput', 'true');
      url.searchParams.set('showHistory', 'true');
      url.searchParams.set('showHistoryOutput', 'true');
      const response = await fetchImpl(url);
      if (response.status === 404) return undefined;
      // 202 while the instance runs, 200 when it has finished (also for Failed, unless asked otherwise).
      if (response.status !== 200 && response.status !== 202) {
        throw new DurableApiError(response.status, await response.text());
      }
      return instanceStatusPayloadSchema.parse(await response.json());
    },
  };
}

/** `…/instances/{id}` with the query the binding requires (task hub, connection, system key). */
function instanceUrlBuilder(binding: z.infer<typeof bindingSchema>): (instanceId: string) => URL {
  const rpcBaseUrl = binding.rpcBaseUrl;
  if (rpcBaseUrl !== undefined && rpcBaseUrl !== null && rpcBaseUrl !== '') {
    return (instanceId) => new URL(`instances/${encodeURIComponent(instanceId)}`, rpcBaseUrl);
  }
  const { id, statusQueryGetUri } = binding.managementUrls;
  return (instanceId) => new URL(statusQueryGetUri.replace(id, encodeURIComponent(instanceId)));
}
