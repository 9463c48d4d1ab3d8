import { RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { retryWhileStorageFails, storeBackoffMs } from '../../../../host/store/storeBackoff';
import { isStorageFailure, StoreOutage } from '../../../../host/store/storeOutage';

describe('the backoff between tries of a store call', () => {
  it('doubles from 250 ms to 4 s, each wait between half and all of its ceiling', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 10].map((failures) => storeBackoffMs(failures, () => 1));
    expect(ceilings).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
    expect(storeBackoffMs(3, () => 0)).toBe(500);
  });
});

describe('a storage failure', () => {
  it('is a reset, a timeout, a 5xx, a 408 or a 429; not a refusal that names the request', () => {
    const network = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isStorageFailure(network)).toBe(true);
    expect(isStorageFailure(new RestError('no answer'))).toBe(true);
    for (const status of [500, 503, 408, 429])
      expect(isStorageFailure(new RestError('x', { statusCode: status }))).toBe(true);
    for (const status of [400, 403, 404, 409, 412])
      expect(isStorageFailure(new RestError('x', { statusCode: status }))).toBe(false);
    expect(isStorageFailure(new Error('the orchestrator threw'))).toBe(false);
  });

  it('is tried again until storage takes the call, and counts as one outage, told once each way', async () => {
    const said: string[] = [];
    const outage = new StoreOutage();
    outage.listen({ down: (reason) => said.push(`down: ${reason}`), up: () => said.push('up') });
    let tries = 0;
    const result = await retryWhileStorageFails(
      () => {
        tries++;
        return tries < 3 ? Promise.reject(new RestError('busy', { statusCode: 503 })) : Promise.resolve('stored');
      },
      { outage },
    );
    expect({ result, tries }).toEqual({ result: 'stored', tries: 3 });
    expect(said).toEqual(['down: busy (status 503)', 'up']);
  });

  it('is not retried when the call is refused for what it asks, nor once the host stops', async () => {
    const refused = new RestError('exists', { statusCode: 409 });
    await expect(retryWhileStorageFails(() => Promise.reject(refused))).rejects.toBe(refused);
    const busy = new RestError('busy', { statusCode: 503 });
    await expect(retryWhileStorageFails(() => Promise.reject(busy), { stopped: () => true })).rejects.toBe(busy);
  });
});
