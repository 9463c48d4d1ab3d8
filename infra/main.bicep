// `azd up` entry point: a resource group holding one consistent Flex Consumption deployment of the
// saga (see "Deploying to Azure" in docs/running-and-deploying.md). The app reaches storage and Cosmos DB through its
// user-assigned managed identity only: shared keys are off on both, and no app setting holds a key.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the resource names.')
param environmentName string

@minLength(1)
@description('Region of every resource. It must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the person running azd (set by azd): gets data access to Cosmos DB so that `npm run seed` works from their machine. Empty: nobody.')
param principalId string = ''

@description('Name of the Cosmos DB database holding the four saga containers.')
param cosmosDatabaseName string = 'durable-saga'

// The Durable backend (main.parameters.json reads it from the azd environment: DURABLE_BACKEND).
// azureStorage keeps the task hub in the storage account below; durableTaskScheduler adds a Durable
// Task Scheduler and points the app at it through app settings. Why azureStorage is the default:
// "Deploying to Azure" in docs/running-and-deploying.md.
@allowed(['azureStorage', 'durableTaskScheduler'])
@description('Durable Functions backend: azureStorage (queues, tables and blobs in the storage account) or durableTaskScheduler (a managed Durable Task Scheduler).')
param durableBackend string = 'azureStorage'

@allowed(['Consumption', 'Dedicated'])
@description('Durable Task Scheduler SKU (durableTaskScheduler only): Consumption, billed per action, or Dedicated, one capacity unit at a fixed monthly price.')
param durableTaskSchedulerSku string = 'Consumption'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var useDurableTaskScheduler = durableBackend == 'durableTaskScheduler'
// The task hub's name on the scheduler: host.json's extensions.durableTask.hubName, so that both
// backends use one name (test/unit/infra/durableBackend.test.ts checks that they agree).
var durableTaskHubName = 'DurableSagaHub'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${resourceToken}'
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module cosmos 'app/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    name: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    dataContributorPrincipalIds: empty(principalId) ? [identity.outputs.principalId] : [identity.outputs.principalId, principalId]
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    principalId: identity.outputs.principalId
  }
}

module durableTaskScheduler 'app/durableTaskScheduler.bicep' = if (useDurableTaskScheduler) {
  name: 'durableTaskScheduler'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    location: location
    tags: tags
    taskHubName: durableTaskHubName
    skuName: durableTaskSchedulerSku
    appPrincipalId: identity.outputs.principalId
    dashboardPrincipalId: principalId
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: 'func-api-${resourceToken}'
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${storage.outputs.deploymentContainerName}'
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmosDatabaseName
    durableBackend: durableBackend
    durableTaskSchedulerEndpoint: useDurableTaskScheduler ? durableTaskScheduler!.outputs.endpoint : ''
    durableTaskHubName: useDurableTaskScheduler ? durableTaskScheduler!.outputs.taskHubName : ''
  }
  // The host reads its storage, its deployment package and (with the scheduler) its task hub as the
  // identity from its first start: the role assignments come first. A dependency on a module whose
  // condition is false is dropped by Resource Manager.
  dependsOn: [rbac, durableTaskScheduler]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE string = cosmosDatabaseName
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useDurableTaskScheduler ? durableTaskScheduler!.outputs.endpoint : ''
