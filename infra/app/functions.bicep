// The function app: Flex Consumption (Linux, Python 3.11), its system-assigned identity for
// everything (storage, database, Key Vault, Application Insights, e-mail), secrets as Key Vault
// references, HTTPS and TLS 1.2 only, no FTP or basic publishing credentials, CORS for the web app.
param name string
param planName string
param location string
param tags object
param environmentType string
param storageAccountName string
param deploymentContainerUrl string
param appInsightsConnectionString string
param workspaceId string
param subnetId string
param webOrigin string
param keyVaultUri string
param dbHost string
param dbName string
param acsEndpoint string
param emailFrom string
param stripePriceStarter string
param stripePriceProfessional string

@description('Most instances the app scales out to (each opens at most DB_POOL_MAX connections).')
param maximumInstanceCount int = 40

var isProd = environmentType == 'prod'

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  // checkov:skip=CKV_AZURE_225: Zone redundant in prod (a conditional checkov does not evaluate; tests/infra/test_policies.py checks prod).
  properties: {
    reserved: true
    zoneRedundant: isProd
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  // checkov:skip=CKV_AZURE_222: The API is the product's public interface: browsers reach it through the static web app's /api and Stripe posts its webhook; every route but health, sign-in and signup requires a session.
  // checkov:skip=CKV_AZURE_17: Clients are browsers and Stripe, authenticated by bearer sessions and webhook signatures; client certificates do not apply.
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales instances by demand across zones; there is no fixed instance count to set.
  // checkov:skip=CKV_AZURE_213: Flex Consumption has no App Service health check; the platform replaces instances, and the alerts watch /api failures and every timer.
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: 'SystemAssigned'
    virtualNetworkSubnetId: isProd ? subnetId : null
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      remoteDebuggingEnabled: false
      vnetRouteAllEnabled: isProd
      cors: {
        allowedOrigins: [
          webOrigin
        ]
        supportCredentials: false
      }
      appSettings: [
        // Identity-based host storage: no connection string, no account key.
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccountName
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        // The connection string only locates the resource; telemetry is sent with the identity.
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsightsConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD'
        }
        {
          name: 'DB_HOST'
          value: dbHost
        }
        {
          // The server's built-in PgBouncer.
          name: 'DB_PORT'
          value: '6432'
        }
        {
          name: 'DB_NAME'
          value: dbName
        }
        {
          // The database principal the post-provision hook maps to this app's identity.
          name: 'DB_USER'
          value: name
        }
        {
          name: 'DB_ENTRA_AUTH'
          value: 'true'
        }
        {
          name: 'DB_SSLMODE'
          value: 'require'
        }
        {
          name: 'PUBLIC_BASE_URL'
          value: webOrigin
        }
        {
          name: 'EMAIL_SENDER'
          value: 'acs'
        }
        {
          name: 'ACS_ENDPOINT'
          value: acsEndpoint
        }
        {
          name: 'EMAIL_FROM'
          value: emailFrom
        }
        {
          name: 'STRIPE_SECRET_KEY'
          value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/stripe-secret-key/)'
        }
        {
          name: 'STRIPE_WEBHOOK_SECRET'
          value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/stripe-webhook-secret/)'
        }
        {
          name: 'TOTP_ENCRYPTION_KEY'
          value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/totp-encryption-key/)'
        }
        {
          name: 'STRIPE_PRICE_STARTER'
          value: stripePriceStarter
        }
        {
          name: 'STRIPE_PRICE_PROFESSIONAL'
          value: stripePriceProfessional
        }
      ]
    }
  }
}

// No FTP and no basic-auth deployments: azd deploys with Microsoft Entra.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: functionApp
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'FunctionAppLogs'
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

output id string = functionApp.id
output name string = functionApp.name
output principalId string = functionApp.identity.principalId
