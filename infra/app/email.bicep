// Azure Communication Services Email: the outbox timer sends through it with the function app's
// identity (shared/mail.py, AcsSender). The domain is customer-managed: its DNS records are
// verified once by hand (DEPLOYMENT.md).
param emailServiceName string
param communicationServiceName string
param emailDomain string
param tags object

@description('Where the e-mail data is kept at rest.')
param dataLocation string = 'United States'

// The sender the code already uses: EMAIL_FROM's default is no-reply@<domain>.
var senderUsername = 'no-reply'

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource domain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: emailDomain
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'CustomerManaged'
    // No tracking pixels or rewritten links in e-mails about patients' referrals.
    userEngagementTracking: 'Disabled'
  }
}

resource sender 'Microsoft.Communication/emailServices/domains/senderUsernames@2023-04-01' = {
  parent: domain
  name: senderUsername
  properties: {
    username: senderUsername
    displayName: 'SNF Admissions'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      domain.id
    ]
  }
}

output communicationServiceName string = communicationService.name
output endpoint string = 'https://${communicationService.properties.hostName}'
output senderAddress string = '${senderUsername}@${emailDomain}'
