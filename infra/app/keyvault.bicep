// Key Vault: the Stripe secrets and the key that seals two-factor secrets, read by the function app through Key Vault references. Access by
// Azure RBAC only (no access policies); deleted secrets are kept 90 days and cannot be purged.
param name string
param location string
param tags object
param environmentType string
param workspaceId string
param privateEndpointName string
param privateEndpointSubnetId string
param privateDnsZoneId string

@secure()
param stripeSecretKey string

@secure()
param stripeWebhookSecret string

@secure()
param totpEncryptionKey string

var isProd = environmentType == 'prod'

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  // checkov:skip=CKV_AZURE_109: The firewall denies by default in prod (a conditional checkov does not evaluate; tests/infra/test_policies.py checks prod); dev allows, with RBAC on every request.
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: isProd ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: isProd ? 'Deny' : 'Allow'
    }
  }
}

// A secret is written only when its value is given, so a later deployment without it keeps the
// stored one. Rotation: DEPLOYMENT.md.
resource stripeSecretKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(stripeSecretKey)) {
  parent: keyVault
  name: 'stripe-secret-key'
  // checkov:skip=CKV_AZURE_41: Stripe keys do not expire; an expiry date would disable the secret and stop billing. They are rotated by hand (DEPLOYMENT.md).
  // checkov:skip=CKV_AZURE_114: contentType is set below; checkov reads a conditional resource's wrapper, not its body.
  properties: {
    value: stripeSecretKey
    contentType: 'text/plain'
    attributes: {
      enabled: true
    }
  }
}

resource stripeWebhookSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(stripeWebhookSecret)) {
  parent: keyVault
  name: 'stripe-webhook-secret'
  // checkov:skip=CKV_AZURE_41: Stripe keys do not expire; an expiry date would disable the secret and stop billing. They are rotated by hand (DEPLOYMENT.md).
  // checkov:skip=CKV_AZURE_114: contentType is set below; checkov reads a conditional resource's wrapper, not its body.
  properties: {
    value: stripeWebhookSecret
    contentType: 'text/plain'
    attributes: {
      enabled: true
    }
  }
}

resource totpEncryptionKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(totpEncryptionKey)) {
  parent: keyVault
  name: 'totp-encryption-key'
  // checkov:skip=CKV_AZURE_41: The key must not expire: an expiry date would disable the secret and stop every two-factor sign-in. Rotating it means re-sealing the stored secrets (SECURITY.md).
  // checkov:skip=CKV_AZURE_114: contentType is set below; checkov reads a conditional resource's wrapper, not its body.
  properties: {
    value: totpEncryptionKey
    contentType: 'text/plain'
    attributes: {
      enabled: true
    }
  }
}

resource privateEndpoint 'Microsoft.Network/privateEndpoints@2024-01-01' = if (isProd) {
  name: privateEndpointName
  location: location
  tags: tags
  properties: {
    subnet: {
      id: privateEndpointSubnetId
    }
    privateLinkServiceConnections: [
      {
        name: 'vault'
        properties: {
          privateLinkServiceId: keyVault.id
          groupIds: [
            'vault'
          ]
        }
      }
    ]
  }
}

resource privateDnsGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-01-01' = if (isProd) {
  parent: privateEndpoint
  name: 'vault'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'vault'
        properties: {
          privateDnsZoneId: privateDnsZoneId
        }
      }
    ]
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: keyVault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
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

output id string = keyVault.id
output name string = keyVault.name
output uri string = keyVault.properties.vaultUri
