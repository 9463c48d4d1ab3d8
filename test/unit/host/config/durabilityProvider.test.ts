import { describe, expect, it } from 'vitest';
import { taskHubSettings } from '../../../../host/config/durabilityProvider';

const SCHEDULER = 'Endpoint=https://s.westus.durabletask.io;Authentication=ManagedIdentity;ClientID=abc;TaskHub=orders';

describe('the task hub, read from host.json as the Durable extension reads it', () => {
  it('is TestHubName in AzureWebJobsStorage when nothing is configured', () => {
    expect(taskHubSettings({}, {})).toEqual({ hubName: 'TestHubName', storageConnectionName: 'AzureWebJobsStorage' });
  });

  it('takes the Azure Storage provider’s connection from connectionName or connectionStringName', () => {
    expect(taskHubSettings({ hubName: 'Hub', storageProvider: { connectionName: 'Other' } }, {})).toEqual({
      hubName: 'Hub',
      storageConnectionName: 'Other',
    });
    expect(
      taskHubSettings({ storageProvider: { type: 'azurestorage', connectionStringName: 'Legacy' } }, {})
        .storageConnectionName,
    ).toBe('Legacy');
  });

  it('resolves %settings% in hubName from the app settings', () => {
    expect(taskHubSettings({ hubName: '%TASKHUB_NAME%' }, { TASKHUB_NAME: 'FromSetting' }).hubName).toBe('FromSetting');
    expect(taskHubSettings({ hubName: 'Hub%SLOT%' }, { SLOT: 'Staging' }).hubName).toBe('HubStaging');
  });

  it('refuses a hubName whose setting is not set, naming the setting', () => {
    expect(() => taskHubSettings({ hubName: '%TASKHUB_NAME%' }, {})).toThrow(
      'host.json extensions.durableTask.hubName "%TASKHUB_NAME%" names the app setting TASKHUB_NAME, which is not set (local.settings.json Values or the environment).',
    );
  });

  it('refuses a name Azure Storage cannot hold', () => {
    expect(() => taskHubSettings({ hubName: '1hub' }, {})).toThrow(/"1hub" is not a valid task hub name/);
  });

  it('runs an azureManaged hub on this host’s Azure Storage, named by TaskHub= in its connection string', () => {
    const settings = taskHubSettings(
      { storageProvider: { type: 'AzureManaged', connectionStringName: 'DTS' } },
      { DTS: SCHEDULER },
    );
    expect(settings.hubName).toBe('orders');
    expect(settings.storageConnectionName).toBe('AzureWebJobsStorage');
    expect(settings.substitution).toMatch(
      /selects the azureManaged storage provider; this local host keeps task hub orders in Azure Storage/,
    );
  });

  it('reads the scheduler connection from DURABLE_TASK_SCHEDULER_CONNECTION_STRING unless one is named', () => {
    const settings = taskHubSettings(
      { storageProvider: { type: 'azureManaged' } },
      { DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=http://localhost:8080;TaskHub=my-hub;Authentication=None' },
    );
    expect(settings.hubName).toBe('myhub');
    expect(settings.substitution).toContain('task hub myhub ("my-hub")');
  });

  it('prefers hubName to the connection string’s TaskHub', () => {
    expect(
      taskHubSettings(
        { hubName: 'Explicit', storageProvider: { type: 'azureManaged' } },
        {
          DURABLE_TASK_SCHEDULER_CONNECTION_STRING: SCHEDULER,
        },
      ).hubName,
    ).toBe('Explicit');
  });

  it('says which setting is missing when an azureManaged hub has no name', () => {
    expect(() => taskHubSettings({ storageProvider: { type: 'azureManaged' } }, {})).toThrow(
      /no hubName, and its connection setting DURABLE_TASK_SCHEDULER_CONNECTION_STRING is not set/,
    );
    expect(() =>
      taskHubSettings({ storageProvider: { type: 'azureManaged', connectionName: 'DTS' } }, { DTS: 'Endpoint=x' }),
    ).toThrow(/the connection string in DTS has no TaskHub=/);
  });

  it('runs mssql and Netherite hubs on Azure Storage too, by type case-insensitively', () => {
    expect(taskHubSettings({ hubName: 'SqlHub', storageProvider: { type: 'MSSQL' } }, {}).substitution).toMatch(
      /selects the mssql storage provider/,
    );
    expect(taskHubSettings({ storageProvider: { type: 'netherite' } }, {})).toMatchObject({
      hubName: 'TestHubName',
      storageConnectionName: 'AzureWebJobsStorage',
    });
  });

  it('refuses an unknown provider type with the extension’s message', () => {
    expect(() => taskHubSettings({ storageProvider: { type: 'Redis' } }, {})).toThrow(
      'host.json extensions.durableTask.storageProvider.type: Storage provider type (Redis) was not found. Available storage providers: AzureStorage, mssql, Netherite, azureManaged.',
    );
  });
});
