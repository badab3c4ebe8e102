// Static Web Apps serves web/ (routes and security headers in web/staticwebapp.config.json);
// /api is the linked function app (web-backend.bicep). Standard tier: linked backends and a
// custom domain with a free managed certificate.
param name string
param location string
param tags object

@description('e.g. app.example.com; empty: only the default *.azurestaticapps.net name.')
param customDomain string

resource site 'Microsoft.Web/staticSites@2023-12-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'web'
  })
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
  }
}

// The managed certificate is issued once the CNAME to the default host name resolves.
resource domain 'Microsoft.Web/staticSites/customDomains@2023-12-01' = if (!empty(customDomain)) {
  parent: site
  name: empty(customDomain) ? 'unused' : customDomain
  properties: {
    validationMethod: 'cname-delegation'
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostname
output origin string = empty(customDomain) ? 'https://${site.properties.defaultHostname}' : 'https://${customDomain}'
