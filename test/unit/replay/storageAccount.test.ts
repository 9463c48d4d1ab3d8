import { describe, expect, it } from 'vitest';
import { HistorySourceError } from '../../../host/replay/historySourceError';
import { StorageAccount } from '../../../host/replay/taskHub/storageAccount';

// Which storage account the replay command reads a task hub from.

describe('the storage account of a task hub', () => {
  it('UseDevelopmentStorage=true is Azurite on 127.0.0.1:10000-10002, as with func', () => {
    expect(StorageAccount.fromSetting('UseDevelopmentStorage=true').tableEndpoint).toBe(
      'http://127.0.0.1:10002/devstoreaccount1',
    );
    expect(StorageAccount.fromSetting(' usedevelopmentstorage = TRUE; ').tableEndpoint).toBe(
      'http://127.0.0.1:10002/devstoreaccount1',
    );
  });

  it('a connection string is used as given', () => {
    const account = StorageAccount.fromSetting(
      'DefaultEndpointsProtocol=https;AccountName=prodsagas;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    );
    expect(account.tableEndpoint).toBe('https://prodsagas.table.core.windows.net');
  });

  it('one that cannot be used says so', () => {
    expect(() => StorageAccount.fromSetting('AccountName=')).toThrow(HistorySourceError);
    expect(() => StorageAccount.fromSetting('AccountName=')).toThrow(/^The storage connection string is not usable: /);
  });
});
