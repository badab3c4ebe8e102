// The function app's own storage: host locks (one timer run at a time), the deployment package
// container of Flex Consumption. Identity-based access only: no account keys, no anonymous reads.
param name string
param location string
param tags object

var deploymentContainerName = 'app-package'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_ZRS'
  }
  // checkov:skip=CKV_AZURE_35: The Functions host and `azd deploy` (the package upload) reach it over its public endpoint; it accepts Microsoft Entra tokens only (no shared key, no anonymous reads) and holds no patient data.
  // checkov:skip=CKV_AZURE_59: Same reason as CKV_AZURE_35: public endpoint, identity-only access.
  // checkov:skip=CKV_AZURE_206: Zone-redundant (ZRS); it holds only host locks and the deployment package, which a redeploy recreates in another region.
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowCrossTenantReplication: false
    // Reached over its public endpoint by the functions and by `azd deploy` (the package upload),
    // with Microsoft Entra tokens only; no data here is about patients.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

output name string = storage.name
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
