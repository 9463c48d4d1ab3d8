// The Flex Consumption plan (FC1) and the Function App: Node 22, Functions 4, the app package in a
// blob container, every connection through the user-assigned identity. Flex Consumption sets the
// runtime in functionAppConfig and refuses FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION
// and WEBSITE_RUN_FROM_PACKAGE as app settings.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
@description('https://<account>.blob.core.windows.net/<container>: where the deployment puts the app package.')
param deploymentContainerUrl string
param applicationInsightsConnectionString string
param cosmosEndpoint string
param cosmosDatabaseName string
@allowed(['azureStorage', 'durableTaskScheduler'])
@description('Where the Durable extension keeps the task hub: the storage account (azureStorage) or a Durable Task Scheduler.')
param durableBackend string
@description('The scheduler endpoint (durableTaskScheduler only; empty for azureStorage).')
param durableTaskSchedulerEndpoint string = ''
@description('The task hub the app uses (durableTaskScheduler only; with azureStorage, host.json names it).')
param durableTaskHubName string = ''
param maximumInstanceCount int = 100
param instanceMemoryMB int = 2048

// host.json stays the same for both backends (and for local runs): the Durable Task Scheduler is
// selected by these settings, which override host.json's extensions.durableTask. The connection
// string names the scheduler and the identity to sign in as; it holds no key.
var durableTaskSchedulerSettings = [
  { name: 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__type', value: 'azureManaged' }
  { name: 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName', value: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING' }
  { name: 'AzureFunctionsJobHost__extensions__durableTask__hubName', value: durableTaskHubName }
  { name: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING', value: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}' }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the app to deploy the `api` service of azure.yaml to by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat([
        // Host storage (and the task hub with azureStorage): an identity-based connection (no connection string).
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        // DefaultAzureCredential (Cosmos DB) picks the user-assigned identity by this client id.
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'COSMOS_ENDPOINT', value: cosmosEndpoint }
        { name: 'COSMOS_DATABASE', value: cosmosDatabaseName }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
      ], durableBackend == 'durableTaskScheduler' ? durableTaskSchedulerSettings : [])
    }
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
