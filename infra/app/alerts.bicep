// Alerts, all to the one action group. What each means and what to do: DEPLOYMENT.md, "Alerts".
param location string
param tags object
param environmentType string
param actionGroupId string
param appInsightsId string
param databaseServerId string
param keyVaultId string
param namePrefix string

@description('Share of HTTP requests answered 5xx over 5 minutes that alerts, in percent.')
param http5xxPercent int = 5

@description('Active database connections that alert (the server allows about 85% of max_connections to users).')
param activeConnectionsThreshold int

// The timer functions as functions/maintenance.py schedules them (six-field NCRONTAB, UTC); a
// failed run is not retried, so each alerts on a failure, and when no run has succeeded `since`
// a point that a healthy schedule passes, at the times `when` holds. tests/infra checks this
// list against the code.
var timers = [
  {
    name: 'send_email_outbox'
    schedule: '0 * * * * *'
    since: 'ago(15m)'
    when: 'true'
    every: 'PT5M'
    window: 'PT15M'
  }
  {
    name: 'build_data_exports'
    schedule: '30 * * * * *'
    since: 'ago(15m)'
    when: 'true'
    every: 'PT5M'
    window: 'PT15M'
  }
  {
    name: 'erase_closed_organizations'
    schedule: '0 0 4 * * *'
    since: 'ago(26h)'
    when: 'true'
    every: 'PT1H'
    window: 'P2D'
  }
  {
    name: 'purge_old_records'
    schedule: '0 30 3 * * *'
    since: 'ago(26h)'
    when: 'true'
    every: 'PT1H'
    window: 'P2D'
  }
  {
    name: 'record_account_transitions'
    schedule: '0 5 0 * * *'
    since: 'ago(26h)'
    when: 'true'
    every: 'PT1H'
    window: 'P2D'
  }
  {
    name: 'monthly_usage_reset'
    schedule: '0 0 0 1 * *'
    since: 'startofmonth(now())'
    when: 'dayofmonth(now()) == 1 and hourofday(now()) >= 1'
    every: 'PT1H'
    window: 'P1D'
  }
]

var severityError = 1
var severityWarning = 2

resource http5xx 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: '${namePrefix}-http-5xx-rate'
  location: location
  tags: tags
  properties: {
    displayName: 'HTTP 5xx rate above ${http5xxPercent}%'
    description: 'More than ${http5xxPercent}% of API requests failed with a server error in 5 minutes.'
    severity: severityError
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'requests | where isnotempty(url) | summarize total = count(), failed = countif(toint(resultCode) >= 500) | where total >= 20 and 100.0 * failed / total > ${http5xxPercent}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroupId
      ]
    }
  }
}

resource timerFailed 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for timer in timers: {
  name: '${namePrefix}-timer-failed-${timer.name}'
  location: location
  tags: tags
  properties: {
    displayName: 'Timer ${timer.name} failed'
    description: 'A run of ${timer.name} (${timer.schedule}) failed; the Functions host does not retry it.'
    severity: severityError
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'requests | where operation_Name == "${timer.name}" and success == false'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [
        actionGroupId
      ]
    }
  }
}]

resource timerMissing 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for timer in timers: {
  name: '${namePrefix}-timer-missing-${timer.name}'
  location: location
  tags: tags
  properties: {
    displayName: 'Timer ${timer.name} has not succeeded'
    description: 'No successful run of ${timer.name} (${timer.schedule}) since ${timer.since}.'
    severity: severityError
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: timer.every
    windowSize: timer.window
    criteria: {
      allOf: [
        {
          query: 'requests | where timestamp > ${timer.since} and operation_Name == "${timer.name}" and success == true | count | where Count == 0 and (${timer.when})'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroupId
      ]
    }
  }
}]

resource databaseCpu 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-database-cpu'
  location: 'global'
  tags: tags
  properties: {
    description: 'Database CPU above 80% for 15 minutes.'
    severity: severityWarning
    enabled: true
    scopes: [
      databaseServerId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'cpu'
          metricName: 'cpu_percent'
          operator: 'GreaterThan'
          threshold: 80
          timeAggregation: 'Average'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroupId
      }
    ]
  }
}

resource databaseStorage 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-database-storage'
  location: 'global'
  tags: tags
  properties: {
    description: 'Database storage above 85% used (storage grows automatically, but not without end).'
    severity: severityWarning
    enabled: true
    scopes: [
      databaseServerId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT30M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'storage'
          metricName: 'storage_percent'
          operator: 'GreaterThan'
          threshold: 85
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroupId
      }
    ]
  }
}

resource databaseConnections 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-database-connections'
  location: 'global'
  tags: tags
  properties: {
    description: 'Active database connections above ${activeConnectionsThreshold}.'
    severity: severityWarning
    enabled: true
    scopes: [
      databaseServerId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'connections'
          metricName: 'active_connections'
          operator: 'GreaterThan'
          threshold: activeConnectionsThreshold
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroupId
      }
    ]
  }
}

resource databaseConnectionsFailed 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-database-connections-failed'
  location: 'global'
  tags: tags
  properties: {
    description: 'More than 10 failed database connections in 5 minutes (expired tokens, a missing role, exhaustion).'
    severity: severityError
    enabled: true
    scopes: [
      databaseServerId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'failed'
          metricName: 'connections_failed'
          operator: 'GreaterThan'
          threshold: 10
          timeAggregation: 'Total'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroupId
      }
    ]
  }
}

resource keyVaultDenied 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-key-vault-access-denied'
  location: 'global'
  tags: tags
  properties: {
    description: 'Key Vault refused a request (403): a missing role, or someone trying.'
    severity: severityWarning
    enabled: true
    scopes: [
      keyVaultId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'denied'
          metricName: 'ServiceApiResult'
          dimensions: [
            {
              name: 'StatusCode'
              operator: 'Include'
              values: [
                '403'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Count'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroupId
      }
    ]
  }
}
