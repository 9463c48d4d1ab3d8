// Cosmos DB for NoSQL (serverless) with the saga's database and its four containers, one per
// service, with the partition keys of src/services/containers.ts. The containers are created here
// because the app's Microsoft Entra data-plane role cannot create them. Keys are off
// (disableLocalAuth): the app and the people listed get Cosmos DB Built-in Data Contributor.
param name string
param location string
param tags object
param databaseName string
@description('Principals (object ids) that read and write documents: the app identity, optionally a person who seeds.')
param dataContributorPrincipalIds array

// Keep in step with sagaContainerDefinitions (test/unit/infra/cosmos.test.ts checks both agree).
var containers = [
  { name: 'inventory', partitionKey: '/sku' }
  { name: 'payments', partitionKey: '/accountId' }
  { name: 'shipments', partitionKey: '/id' }
  { name: 'incidents', partitionKey: '/sagaId' }
]

// Cosmos DB Built-in Data Contributor: read, write, query and delete documents; no account or
// container management.
var dataContributorRoleId = '00000000-0000-0000-0000-000000000002'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    capabilities: [{ name: 'EnableServerless' }]
    disableLocalAuth: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
  }
}

resource sagaContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [
  for container in containers: {
    parent: database
    name: container.name
    properties: {
      resource: {
        id: container.name
        partitionKey: {
          paths: [container.partitionKey]
          kind: 'Hash'
          version: 2
        }
      }
    }
  }
]

resource dataContributors 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = [
  for principalId in dataContributorPrincipalIds: {
    parent: account
    name: guid(account.id, principalId, dataContributorRoleId)
    properties: {
      roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributorRoleId}'
      principalId: principalId
      scope: account.id
    }
  }
]

output endpoint string = account.properties.documentEndpoint
