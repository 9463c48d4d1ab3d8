// The Function App's identity. User-assigned, so that its role assignments exist before the app
// starts for the first time (a system-assigned identity exists only once the app does).
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
