import { AnonymousCredential, AppendBlobClient, BlobServiceClient, RestError } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedKeyAppender } from '../../../../host/store/sharedKeyAppend';
import { startTestAzurite, type RunningAzurite } from '../../../support/azuriteProcess';

// Append Block signed by the host itself (the commit of every episode), against a real Azurite.
let azurite: RunningAzurite;
let blobs: BlobServiceClient;

beforeAll(async () => {
  azurite = await startTestAzurite();
  blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  await blobs.getContainerClient('appends').createIfNotExists();
});

afterAll(async () => {
  await azurite?.stop();
});

async function newAppendBlob(name: string): Promise<AppendBlobClient> {
  const client = blobs.getContainerClient('appends').getAppendBlobClient(name);
  await client.create();
  return client;
}

describe('Append Block signed with the account key', () => {
  it('appends what the SDK reads back, block after block, bytes as given', async () => {
    const client = await newAppendBlob('in-order');
    const append = sharedKeyAppender(client);
    expect(append).toBeDefined();
    const first = Buffer.from('first line\n');
    await append?.(first, 0);
    await append?.(Buffer.from('zweite Zeile – ünïcödé\n', 'utf8'), first.length);
    expect((await client.downloadToBuffer()).toString('utf8')).toBe('first line\nzweite Zeile – ünïcödé\n');
    expect((await client.getProperties()).blobCommittedBlockCount).toBe(2);
  });

  it('fails with the service status when the request is refused (a blob that is not there)', async () => {
    const client = blobs.getContainerClient('appends').getAppendBlobClient('never-created');
    const append = sharedKeyAppender(client);
    const error = await append?.(Buffer.from('x'), 0).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).statusCode).toBe(404);
  });

  it('is refused (403) when signed with another key, so a wrong signature cannot pass unnoticed', async () => {
    await newAppendBlob('wrong-key');
    const otherKey = Buffer.alloc(64, 7).toString('base64');
    const wrong = BlobServiceClient.fromConnectionString(
      azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${otherKey}`),
    )
      .getContainerClient('appends')
      .getAppendBlobClient('wrong-key');
    const error = await sharedKeyAppender(wrong)?.(Buffer.from('x'), 0).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as RestError | undefined)?.statusCode).toBe(403);
  });

  it('refuses a block meant for another position, so a retried append cannot land twice', async () => {
    const client = await newAppendBlob('positioned');
    const append = sharedKeyAppender(client);
    await append?.(Buffer.from('once'), 0);
    const error = await append?.(Buffer.from('twice'), 0).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as RestError | undefined)?.statusCode).toBe(412);
    expect((await client.downloadToBuffer()).toString('utf8')).toBe('once');
  });

  it('leaves a client without an account key (a SAS URL) to the SDK', () => {
    const sas = new AppendBlobClient(`${blobs.url}appends/in-order?sv=2021-12-02&sig=abc`, new AnonymousCredential());
    expect(sharedKeyAppender(sas)).toBeUndefined();
  });
});
