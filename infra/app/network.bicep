// The private network of prod: the functions reach the database and Key Vault only through it.
// The database lives in a delegated subnet (VNet integration, no public endpoint), Key Vault
// behind a private endpoint; both names resolve through private DNS zones linked here.
param vnetName string
param nsgName string
param location string
param tags object

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: nsgName
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        '10.40.0.0/16'
      ]
    }
    subnets: [
      {
        // Flex Consumption's VNet integration needs a subnet delegated to Microsoft.App/environments.
        name: 'snet-functions'
        properties: {
          addressPrefix: '10.40.1.0/24'
          networkSecurityGroup: {
            id: nsg.id
          }
          delegations: [
            {
              name: 'functions'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'snet-database'
        properties: {
          addressPrefix: '10.40.2.0/24'
          networkSecurityGroup: {
            id: nsg.id
          }
          delegations: [
            {
              name: 'postgres'
              properties: {
                serviceName: 'Microsoft.DBforPostgreSQL/flexibleServers'
              }
            }
          ]
        }
      }
      {
        name: 'snet-private-endpoints'
        properties: {
          addressPrefix: '10.40.3.0/24'
          networkSecurityGroup: {
            id: nsg.id
          }
        }
      }
      {
        // For the operator's machine (a VM or a self-hosted runner) that runs the migrations.
        name: 'snet-operations'
        properties: {
          addressPrefix: '10.40.4.0/24'
          networkSecurityGroup: {
            id: nsg.id
          }
        }
      }
    ]
  }
}

resource databaseDns 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: 'snf.private.postgres.database.azure.com'
  location: 'global'
  tags: tags
}

resource databaseDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: databaseDns
  name: vnetName
  location: 'global'
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}

resource keyVaultDns 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: 'privatelink.vaultcore.azure.net'
  location: 'global'
  tags: tags
}

resource keyVaultDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: keyVaultDns
  name: vnetName
  location: 'global'
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}

output functionsSubnetId string = '${vnet.id}/subnets/snet-functions'
output databaseSubnetId string = '${vnet.id}/subnets/snet-database'
output privateEndpointSubnetId string = '${vnet.id}/subnets/snet-private-endpoints'
output databaseDnsZoneId string = databaseDns.id
output keyVaultDnsZoneId string = keyVaultDns.id
