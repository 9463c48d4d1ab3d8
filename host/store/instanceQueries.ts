import { RestError, type TableClient } from '@azure/data-tables';
import type { RuntimeStatus } from '../durable/history/historyEvent';
import type { RowCodec, TableRow } from './rowCodec';
import { escapeId, odata } from './tableKeys';
import {
  InvalidContinuationTokenError,
  type InstanceQuery,
  type InstanceRecord,
  type StoredMessage,
  type Versioned,
} from './taskHubStore';

const UNFINISHED: RuntimeStatus[] = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'];

/**
 * Our tokens wrap the table client's (base64 of {nextPartitionKey, nextRowKey}) in base64url. The
 * client would throw a SyntaxError on garbage and send anything else on as headers, so a token is
 * unwrapped and checked here first.
 */
function tableContinuationToken(token: string): string {
  const refuse = (): never => {
    throw new InvalidContinuationTokenError('The continuation token is not one this task hub handed out.');
  };
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) refuse();
  const inner = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(inner)) refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(inner, 'base64').toString('utf8'));
  } catch {
    return refuse();
  }
  const headerSafe = (value: unknown): boolean => typeof value === 'string' && /^[\x21-\x7e]{1,1024}$/.test(value);
  const keys = parsed !== null && typeof parsed === 'object' ? Object.keys(parsed) : [];
  const { nextPartitionKey, nextRowKey } = (parsed ?? {}) as Record<string, unknown>;
  if (
    keys.some((k) => k !== 'nextPartitionKey' && k !== 'nextRowKey') ||
    !headerSafe(nextPartitionKey) ||
    (nextRowKey !== undefined && !headerSafe(nextRowKey))
  )
    refuse();
  return inner;
}

/** Queries read the table: what the log holds is checkpointed first, so they see every commit. */
export class InstanceQueries {
  constructor(
    private readonly checkpoint: () => Promise<void>,
    private readonly table: TableClient,
    private readonly codec: RowCodec,
  ) {}

  async queryInstances(
    query: InstanceQuery,
  ): Promise<{ records: InstanceRecord[]; continuationToken: string | undefined }> {
    await this.checkpoint();
    const clauses = [`Kind eq 'I'`];
    if (query.createdTimeFrom) clauses.push(`CreatedTime ge datetime'${query.createdTimeFrom.toISOString()}'`);
    if (query.createdTimeTo) clauses.push(`CreatedTime le datetime'${query.createdTimeTo.toISOString()}'`);
    if (query.runtimeStatus && query.runtimeStatus.length > 0) {
      clauses.push(`(${query.runtimeStatus.map((s) => `RuntimeStatus eq ${odata(s)}`).join(' or ')})`);
    }
    if (query.instanceIdPrefix) {
      const prefix = escapeId(query.instanceIdPrefix);
      clauses.push(`RowKey ge ${odata(prefix)} and RowKey lt ${odata(prefix + '~')}`);
    }
    const pages = this.table.listEntities({ queryOptions: { filter: clauses.join(' and ') } }).byPage({
      // Table storage answers at most 1,000 entities a page (and refuses a larger $top); more follow the token.
      maxPageSize: Math.min(query.top ?? 100, 1000),
      continuationToken: query.continuationToken ? tableContinuationToken(query.continuationToken) : undefined,
    });
    let page: (TableRow[] & { continuationToken?: string }) | undefined;
    try {
      page = (await pages.next()).value as (TableRow[] & { continuationToken?: string }) | undefined;
    } catch (error) {
      // Well-formed but naming no place in this table: the service refuses it with 400.
      if (query.continuationToken && error instanceof RestError && error.statusCode === 400)
        throw new InvalidContinuationTokenError('The continuation token is not one this task hub handed out.');
      throw error;
    }
    if (!page) return { records: [], continuationToken: undefined };
    const records = await Promise.all(page.map((row) => this.codec.toRecord(row)));
    const token = page.continuationToken
      ? Buffer.from(page.continuationToken, 'utf8').toString('base64url')
      : undefined;
    return { records, continuationToken: token };
  }

  async findUnfinished(): Promise<{ records: Versioned<InstanceRecord>[]; messages: StoredMessage[] }> {
    await this.checkpoint();
    const records: Versioned<InstanceRecord>[] = [];
    const messages: StoredMessage[] = [];
    // The service filters: finished instances, however many the hub holds, never reach the host.
    const unfinished = UNFINISHED.map((s) => `RuntimeStatus eq ${odata(s)}`).join(' or ');
    for await (const row of this.table.listEntities({
      queryOptions: { filter: `(Kind eq 'I' and (${unfinished})) or Kind eq 'M'` },
    })) {
      if (row.Kind === 'M') messages.push(await this.codec.toMessage(row));
      else records.push({ value: await this.codec.toRecord(row), etag: row.etag });
    }
    messages.sort((a, b) => (a.id < b.id ? -1 : 1));
    return { records, messages };
  }
}
