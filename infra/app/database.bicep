// PostgreSQL Flexible Server: Microsoft Entra authentication only (the function app's managed
// identity is a database principal, created by the post-provision hook), TLS 1.2+, built-in
// PgBouncer (port 6432, transaction pooling), backups, private network in prod. With clusterSize
// > 0 it is an elastic cluster (Citus) of that many nodes instead: the same server resource with
// `cluster` set, PostgreSQL 17 (the version elastic clusters run), and the application database
// as the cluster's one database (a cluster has exactly one: no databases resource).
param name string
param location string
param tags object
param environmentType string
param databaseName string
param skuName string
param storageSizeGB int
param zoneRedundantHa bool
@description('0: a single server; otherwise the number of nodes of an elastic cluster.')
param clusterSize int
param adminObjectId string
param adminName string
param adminPrincipalType string
param deployerIpAddress string
param delegatedSubnetId string
param privateDnsZoneId string
param workspaceId string

var isProd = environmentType == 'prod'
var isCluster = clusterSize != 0
var isDev = !isProd
var allowDeployer = isDev && !empty(deployerIpAddress)

// The server parameters the data layer relies on; applied one at a time (the server refuses
// concurrent configuration changes).
var serverParameters = [
  {
    name: 'require_secure_transport'
    value: 'on'
  }
  {
    name: 'ssl_min_protocol_version'
    value: 'TLSv1.2'
  }
  {
    name: 'pgbouncer.enabled'
    value: 'true'
  }
  {
    // The data layer sets app.organization_id per transaction (set_config(..., true)), which is
    // what transaction pooling needs.
    name: 'pgbouncer.pool_mode'
    value: 'transaction'
  }
  {
    // A transaction left open (a crashed worker) must not hold locks or a pooled server connection.
    name: 'idle_in_transaction_session_timeout'
    value: '60000'
  }
  {
    name: 'log_min_duration_statement'
    value: '2000'
  }
  {
    name: 'log_connections'
    value: 'on'
  }
  {
    name: 'log_disconnections'
    value: 'on'
  }
]

// 2025-08-01: the first stable API version with `cluster` (elastic clusters).
resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: startsWith(skuName, 'Standard_E') ? 'MemoryOptimized' : 'GeneralPurpose'
  }
  properties: union({
    version: isCluster ? '17' : '16'
    createMode: 'Default'
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: subscription().tenantId
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: isProd ? 35 : 7
      geoRedundantBackup: isProd ? 'Enabled' : 'Disabled'
    }
    highAvailability: {
      mode: zoneRedundantHa ? 'ZoneRedundant' : 'Disabled'
    }
    network: isProd ? {
      delegatedSubnetResourceId: delegatedSubnetId
      privateDnsZoneArmResourceId: privateDnsZoneId
      publicNetworkAccess: 'Disabled'
    } : {
      publicNetworkAccess: 'Enabled'
    }
  }, isCluster ? {
    cluster: {
      clusterSize: clusterSize
      defaultDatabaseName: databaseName
    }
  } : {})
}

resource administrator 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = {
  parent: server
  name: adminObjectId
  properties: {
    principalName: adminName
    principalType: adminPrincipalType
    tenantId: subscription().tenantId
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = if (!isCluster) {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

@batchSize(1)
resource configurations 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = [for parameter in serverParameters: {
  parent: server
  name: parameter.name
  properties: {
    value: parameter.value
    source: 'user-override'
  }
  dependsOn: [
    administrator
  ]
}]

// dev only (public endpoint): Azure's services, and the machine that runs the migrations.
resource allowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = if (!isProd) {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource allowDeployer 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = if (allowDeployer) {
  parent: server
  name: 'deployer'
  properties: {
    startIpAddress: deployerIpAddress
    endIpAddress: deployerIpAddress
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: server
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output id string = server.id
output name string = server.name
output host string = server.properties.fullyQualifiedDomainName
