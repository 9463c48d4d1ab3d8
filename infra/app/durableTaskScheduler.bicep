// The Durable Task Scheduler backend (durableBackend = 'durableTaskScheduler' in main.bicep): a
// scheduler, the saga's task hub in it, and Durable Task Data Contributor on that task hub for the
// app identity (and, optionally, the person running azd, for the scheduler's dashboard). The app
// signs in as its user-assigned identity: the scheduler has no keys.
param name string
param location string
param tags object
@description('Task hub name; the app addresses it through the durableTask hubName app setting (see api.bicep).')
param taskHubName string
@allowed(['Consumption', 'Dedicated'])
@description('Consumption: billed per dispatched action, no idle cost. Dedicated: a fixed monthly price per capacity unit (one here).')
param skuName string
@description('Object id of the app identity: reads and writes orchestrations in the task hub.')
param appPrincipalId string
@description('Object id of a person who gets the same role, to open the task hub in the dashboard. Empty: nobody.')
param dashboardPrincipalId string = ''

// Durable Task Data Contributor: every data operation on orchestrations and entities (start, query,
// raise events, suspend, terminate, purge), which the app's HTTP API uses. Not an Azure control-plane role.
var durableTaskDataContributorRoleId = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // An empty list refuses every caller. Flex Consumption has no fixed outbound addresses, so any
    // address may connect; each call still needs an Entra ID token with the role below.
    ipAllowlist: ['0.0.0.0/0']
    sku: skuName == 'Dedicated' ? { name: 'Dedicated', capacity: 1 } : { name: 'Consumption' }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01' = {
  parent: scheduler
  name: taskHubName
}

resource appDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(taskHub.id, appPrincipalId, durableTaskDataContributorRoleId)
  scope: taskHub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributorRoleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource dashboardDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(dashboardPrincipalId)) {
  name: guid(taskHub.id, dashboardPrincipalId, durableTaskDataContributorRoleId)
  scope: taskHub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributorRoleId)
    principalId: dashboardPrincipalId
  }
}

// https://<scheduler>.<region>.durabletask.io: not a secret, the connection string names it.
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
