import { RestError, TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { developmentConnectionString } from '../../azurite';
import { HistorySourceError } from '../historySourceError';

/** A read over the network gets this long before storage counts as not answering. */
const CALL_TIMEOUT_MS = 15_000;
const DEVELOPMENT_STORAGE = /^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i;

/**
 * The storage account a task hub lives in, for reading only. Retries are short: this is a command
 * someone waits for, and a wrong endpoint should say so in seconds, not after a minute of backoff.
 */
export class StorageAccount {
  private readonly tableService: TableServiceClient;
  private readonly blobService: BlobServiceClient;

  private constructor(readonly connectionString: string) {
    const retryOptions = { maxRetries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 500 };
    try {
      this.tableService = TableServiceClient.fromConnectionString(connectionString, {
        allowInsecureConnection: true,
        retryOptions,
      });
      this.blobService = BlobServiceClient.fromConnectionString(connectionString, {
        retryOptions: { maxTries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 500 },
      });
    } catch (error) {
      throw new HistorySourceError(
        'bad-connection',
        `The storage connection string is not usable: ${(error as Error).message}`,
      );
    }
  }

  /** `UseDevelopmentStorage=true` means Azurite on 127.0.0.1:10000-10002, as with func. */
  static fromSetting(connection: string): StorageAccount {
    const resolved = DEVELOPMENT_STORAGE.test(connection)
      ? developmentConnectionString({ blob: 10000, queue: 10001, table: 10002 })
      : connection;
    return new StorageAccount(resolved);
  }

  get tableEndpoint(): string {
    return this.tableService.url;
  }

  table(name: string): TableClient {
    return TableClient.fromConnectionString(this.connectionString, name, {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 500 },
    });
  }

  container(name: string): ContainerClient {
    return this.blobService.getContainerClient(name);
  }

  /** Names of every table in the account. */
  async tableNames(): Promise<string[]> {
    return this.call('listing tables', async (abortSignal) => {
      const names: string[] = [];
      for await (const table of this.tableService.listTables({ abortSignal })) if (table.name) names.push(table.name);
      return names;
    });
  }

  /**
   * Runs one storage operation with a deadline and turns "nobody answered" into the error the
   * command reports; answers (404, 403...) are left to the caller.
   */
  async call<T>(what: string, operation: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await operation(AbortSignal.timeout(CALL_TIMEOUT_MS));
    } catch (error) {
      if (unanswered(error)) {
        const reason =
          error instanceof Error && error.name !== 'AbortError'
            ? error.message
            : `no answer within ${CALL_TIMEOUT_MS / 1000} s`;
        throw new HistorySourceError(
          'storage-not-answering',
          `Azure Storage at ${this.tableEndpoint} does not answer (${what}: ${reason}). Is Azurite running, and is the connection string right?`,
        );
      }
      throw error;
    }
  }
}

function unanswered(error: unknown): boolean {
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return true;
  return error instanceof RestError && error.statusCode === undefined;
}
