// SNF Admissions on Azure: one resource group per environment, composed of the modules in app/
// (one per concern). `azd up` deploys it with main.parameters.json; `az deployment group create`
// with main.parameters.dev.json or main.parameters.prod.json (DEPLOYMENT.md).
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(20)
@description('Name of the environment (the azd environment name); part of every resource name.')
param environmentName string

@allowed([
  'dev'
  'prod'
])
@description('prod: private database and Key Vault, geo-redundant 35-day backups, larger limits.')
param environmentType string = 'dev'

param location string = resourceGroup().location

@allowed([
  'centralus'
  'eastus2'
  'eastasia'
  'westeurope'
  'westus2'
])
@description('Static Web Apps exists in these regions only (its content is served globally anyway).')
param webLocation string = 'eastus2'

@description('Object id of the Microsoft Entra user or group that administers the database (runs the migrations).')
param dbAdminObjectId string

@description('Display name (user principal name or group name) of that administrator.')
param dbAdminName string

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param dbAdminPrincipalType string = 'User'

@description('dev only: public address of the machine that runs the migrations (empty: none).')
param deployerIpAddress string = ''

@description('Zone-redundant high availability for the database (a standby in another zone, twice the compute cost).')
param zoneRedundantHa bool = false

@description('Database compute: GeneralPurpose or MemoryOptimized (built-in PgBouncer is not offered on Burstable).')
param dbSkuName string = 'Standard_D2ds_v5'

param dbStorageSizeGB int = 64

@description('Database topology: one Flexible Server, or an elastic cluster (Citus: a coordinator and workers, SCALING.md) of dbClusterNodes nodes.')
@allowed([
  'server'
  'elasticCluster'
])
param dbTopology string = 'server'

@description('Nodes of the elastic cluster when dbTopology is elasticCluster (each of dbSkuName and dbStorageSizeGB); unused for one server.')
@minValue(2)
@maxValue(20)
param dbClusterNodes int = 2

@description('Who receives the alerts.')
param alertEmail string

@description('Custom domain of the web app, e.g. app.example.com (empty: the default *.azurestaticapps.net name).')
param customDomain string = ''

@description('Domain the e-mails are sent from (customer-managed, verified in Azure Communication Services).')
param emailDomain string

@secure()
@description('Stripe secret API key (sk_live_... in prod); stored in Key Vault only.')
param stripeSecretKey string = ''

@secure()
@description('Signing secret of the Stripe webhook endpoint (whsec_...); stored in Key Vault only.')
param stripeWebhookSecret string = ''

@secure()
@description('Seals the two-factor (TOTP) secrets: 32 random bytes, URL-safe base64; stored in Key Vault only. Given once: later deployments without it keep the stored one.')
param totpEncryptionKey string = ''

@description('Stripe price id of the Starter plan.')
param stripePriceStarter string = ''

@description('Stripe price id of the Professional plan.')
param stripePriceProfessional string = ''

var abbrs = loadJsonContent('abbreviations.json')
var suffix = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var isProd = environmentType == 'prod'
var tags = {
  'azd-env-name': environmentName
  environment: environmentType
  workload: 'snf-admissions'
}
var functionAppName = '${abbrs.webSitesFunctions}snf-${environmentName}-${suffix}'
var databaseName = 'snf'
var isElasticCluster = dbTopology == 'elasticCluster'

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: '${abbrs.operationalInsightsWorkspaces}snf-${environmentName}-${suffix}'
    appInsightsName: '${abbrs.insightsComponents}snf-${environmentName}-${suffix}'
    actionGroupName: '${abbrs.insightsActionGroups}snf-${environmentName}'
    location: location
    tags: tags
    environmentType: environmentType
    alertEmail: alertEmail
  }
}

module network 'app/network.bicep' = if (isProd) {
  name: 'network'
  params: {
    vnetName: '${abbrs.networkVirtualNetworks}snf-${environmentName}-${suffix}'
    nsgName: '${abbrs.networkNetworkSecurityGroups}snf-${environmentName}-${suffix}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: {
    name: '${abbrs.storageStorageAccounts}snf${suffix}'
    location: location
    tags: tags
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: '${abbrs.keyVaultVaults}snf-${suffix}'
    location: location
    tags: tags
    environmentType: environmentType
    workspaceId: monitoring.outputs.workspaceId
    privateEndpointName: '${abbrs.networkPrivateEndpoints}kv-snf-${environmentName}'
    privateEndpointSubnetId: isProd ? network.outputs.privateEndpointSubnetId : ''
    privateDnsZoneId: isProd ? network.outputs.keyVaultDnsZoneId : ''
    stripeSecretKey: stripeSecretKey
    stripeWebhookSecret: stripeWebhookSecret
    totpEncryptionKey: totpEncryptionKey
  }
}

module database 'app/database.bicep' = {
  name: 'database'
  params: {
    name: '${abbrs.dBforPostgreSQLServers}snf-${environmentName}-${suffix}'
    location: location
    tags: tags
    environmentType: environmentType
    databaseName: databaseName
    skuName: dbSkuName
    storageSizeGB: dbStorageSizeGB
    zoneRedundantHa: zoneRedundantHa
    clusterSize: isElasticCluster ? dbClusterNodes : 0
    adminObjectId: dbAdminObjectId
    adminName: dbAdminName
    adminPrincipalType: dbAdminPrincipalType
    deployerIpAddress: deployerIpAddress
    delegatedSubnetId: isProd ? network.outputs.databaseSubnetId : ''
    privateDnsZoneId: isProd ? network.outputs.databaseDnsZoneId : ''
    workspaceId: monitoring.outputs.workspaceId
  }
}

module email 'app/email.bicep' = {
  name: 'email'
  params: {
    emailServiceName: '${abbrs.communicationEmailServices}snf-${environmentName}-${suffix}'
    communicationServiceName: '${abbrs.communicationCommunicationServices}snf-${environmentName}-${suffix}'
    emailDomain: emailDomain
    tags: tags
  }
}

module web 'app/web.bicep' = {
  name: 'web'
  params: {
    name: '${abbrs.webStaticSites}snf-${environmentName}-${suffix}'
    location: webLocation
    tags: tags
    customDomain: customDomain
  }
}

module functions 'app/functions.bicep' = {
  name: 'functions'
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}snf-${environmentName}-${suffix}'
    location: location
    tags: tags
    environmentType: environmentType
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    workspaceId: monitoring.outputs.workspaceId
    subnetId: isProd ? network.outputs.functionsSubnetId : ''
    webOrigin: web.outputs.origin
    keyVaultUri: keyVault.outputs.uri
    dbHost: database.outputs.host
    dbName: databaseName
    acsEndpoint: email.outputs.endpoint
    emailFrom: email.outputs.senderAddress
    stripePriceStarter: stripePriceStarter
    stripePriceProfessional: stripePriceProfessional
  }
}

module webBackend 'app/web-backend.bicep' = {
  name: 'web-backend'
  params: {
    staticSiteName: web.outputs.name
    functionAppId: functions.outputs.id
    location: location
  }
}

module access 'app/access.bicep' = {
  name: 'access'
  params: {
    principalId: functions.outputs.principalId
    keyVaultName: keyVault.outputs.name
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    communicationServiceName: email.outputs.communicationServiceName
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: tags
    environmentType: environmentType
    actionGroupId: monitoring.outputs.actionGroupId
    appInsightsId: monitoring.outputs.appInsightsId
    databaseServerId: database.outputs.id
    keyVaultId: keyVault.outputs.id
    namePrefix: 'snf-${environmentName}'
    // About 70% of max_connections of the default SKUs (D2ds_v5: 859, D4ds_v5: 1718).
    activeConnectionsThreshold: isProd ? 1200 : 600
  }
}

// What azd keeps in the environment (.azure/<env>/.env) for the hooks and the deploy step.
output AZURE_LOCATION string = location
output AZURE_FUNCTION_APP_NAME string = functions.outputs.name
output AZURE_STATIC_WEB_APP_NAME string = web.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output DB_HOST string = database.outputs.host
output DB_NAME string = databaseName
output DB_APP_ROLE string = functions.outputs.name
output PUBLIC_BASE_URL string = web.outputs.origin
output ENVIRONMENT_TYPE string = environmentType
