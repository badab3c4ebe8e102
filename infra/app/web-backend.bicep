// Links the function app to the static web app as its /api, after both exist (the function app
// needs the web app's origin for CORS and PUBLIC_BASE_URL).
param staticSiteName string
param functionAppId string
param location string

resource site 'Microsoft.Web/staticSites@2023-12-01' existing = {
  name: staticSiteName
}

resource backend 'Microsoft.Web/staticSites/linkedBackends@2023-12-01' = {
  parent: site
  name: 'functions'
  properties: {
    backendResourceId: functionAppId
    region: location
  }
}
