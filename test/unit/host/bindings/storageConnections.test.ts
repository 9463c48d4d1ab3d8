import { describe, expect, it } from 'vitest';
import { StorageConnections } from '../../../../host/bindings/storageConnections';

const azurite =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1';

describe('storage connections resolved like the Functions host', () => {
  it('reads the setting the binding names, then the AzureWebJobs-prefixed one, AzureWebJobsStorage when empty', () => {
    const connections = new StorageConnections(
      { Orders: 'orders-conn', AzureWebJobsAudit: 'audit-conn', AzureWebJobsStorage: 'default-conn' },
      azurite,
    );
    expect(connections.resolve('Orders', 'f')).toBe('orders-conn');
    expect(connections.resolve('Audit', 'f')).toBe('audit-conn');
    expect(connections.resolve('', 'f')).toBe('default-conn');
    expect(connections.resolve(undefined, 'f')).toBe('default-conn');
  });

  it("takes UseDevelopmentStorage=true to mean the host's Azurite", () => {
    expect(new StorageConnections({ Dev: 'UseDevelopmentStorage=true' }, azurite).resolve('Dev', 'f')).toBe(azurite);
  });

  it('refuses a missing setting and an identity-based one, naming the function', () => {
    const connections = new StorageConnections(
      { Managed__queueServiceUri: 'https://x.queue.core.windows.net' },
      azurite,
    );
    expect(() => connections.resolve('Missing', 'work')).toThrow(
      `Function 'work': the storage connection setting "Missing" is not set`,
    );
    expect(() => connections.resolve('Managed', 'work')).toThrow(/"Managed" is identity-based/);
  });
});
