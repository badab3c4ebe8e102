"""The production policy, checked on what main.bicep deploys with the dev and prod parameter
files (tests/infra/bicep.py evaluates the templates through every module): what checkov cannot
check because it has no PostgreSQL Flexible Server checks, does not look inside modules and does
not evaluate conditions."""
from __future__ import annotations

import json

import pytest

from shared.routing import timer_functions
from shared.settings import ENVIRONMENT_NAMES
from tests.infra.bicep import (INFRA, MAIN, UNKNOWN, Deployment, deployment, parameter_file,
                               parse)

STRIPE_SECRETS = {"STRIPE_SECRET_KEY": "stripe-secret-key",
                  "STRIPE_WEBHOOK_SECRET": "stripe-webhook-secret"}
# Every setting that is a Key Vault reference -> the secret's name in the vault.
VAULT_SECRETS = {**STRIPE_SECRETS, "TOTP_ENCRYPTION_KEY": "totp-encryption-key"}
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"


def _deploy(environment: str, **overrides) -> Deployment:
    params = parameter_file(INFRA / f"main.parameters.{environment}.json")
    return deployment({**params, **overrides})


@pytest.fixture(scope="module")
def prod() -> Deployment:
    return _deploy("prod")


@pytest.fixture(scope="module")
def dev() -> Deployment:
    return _deploy("dev")


@pytest.fixture(scope="module", params=["dev", "prod"])
def each(request, dev, prod) -> Deployment:
    return {"dev": dev, "prod": prod}[request.param]


def _server(d: Deployment) -> dict:
    return d.one("Microsoft.DBforPostgreSQL/flexibleServers").body


def _server_parameters(d: Deployment) -> dict:
    return {r.body["name"]: r.body["properties"]["value"]
            for r in d.of_type("Microsoft.DBforPostgreSQL/flexibleServers/configurations")}


def _function_app(d: Deployment) -> dict:
    return d.one("Microsoft.Web/sites").body


def _app_settings(d: Deployment) -> dict:
    return {s["name"]: s["value"] for s in _function_app(d)["properties"]["siteConfig"]["appSettings"]}


# -- PostgreSQL Flexible Server ------------------------------------------------------------------

def test_postgresql_is_version_16_or_newer(each):
    assert int(_server(each)["properties"]["version"]) >= 16


def test_entra_authentication_is_on_and_passwords_are_off_in_prod(each, prod):
    assert _server(each)["properties"]["authConfig"]["activeDirectoryAuth"] == "Enabled"
    assert _server(prod)["properties"]["authConfig"]["passwordAuth"] == "Disabled"
    assert "administratorLoginPassword" not in _server(prod)["properties"]


def test_an_entra_administrator_is_named_for_the_migrations(each):
    (admin,) = each.of_type("Microsoft.DBforPostgreSQL/flexibleServers/administrators")
    assert admin.raw["parent"] == "server"
    assert admin.body["properties"]["principalType"] in {"User", "Group", "ServicePrincipal"}


def test_prod_backups_are_geo_redundant_and_kept_35_days(prod):
    backup = _server(prod)["properties"]["backup"]
    assert backup == {"backupRetentionDays": 35, "geoRedundantBackup": "Enabled"}


def test_zone_redundant_high_availability_follows_its_parameter():
    assert _server(_deploy("prod", zoneRedundantHa=True))["properties"]["highAvailability"]["mode"] == "ZoneRedundant"
    assert _server(_deploy("prod", zoneRedundantHa=False))["properties"]["highAvailability"]["mode"] == "Disabled"


def test_tls_1_2_or_newer_is_enforced(each):
    parameters = _server_parameters(each)
    assert parameters["require_secure_transport"] == "on"
    assert parameters["ssl_min_protocol_version"] in {"TLSv1.2", "TLSv1.3"}
    assert _app_settings(each)["DB_SSLMODE"] in {"require", "verify-ca", "verify-full"}


def test_built_in_pgbouncer_is_on_in_transaction_mode_and_the_functions_use_it(each):
    parameters = _server_parameters(each)
    assert parameters["pgbouncer.enabled"] == "true"
    assert parameters["pgbouncer.pool_mode"] == "transaction"
    assert _app_settings(each)["DB_PORT"] == "6432"
    # PgBouncer is not offered on the Burstable tier.
    assert _server(each)["sku"]["tier"] in {"GeneralPurpose", "MemoryOptimized"}


def test_an_abandoned_transaction_is_ended_by_the_server(each):
    assert 0 < int(_server_parameters(each)["idle_in_transaction_session_timeout"]) <= 300_000


def test_the_application_database_is_created(each):
    (database,) = each.of_type("Microsoft.DBforPostgreSQL/flexibleServers/databases")
    assert database.body["name"] == _app_settings(each)["DB_NAME"] == "snf"


# -- one server or an elastic cluster (dbTopology) -------------------------------------------------

@pytest.fixture(scope="module", params=["dev", "prod"])
def cluster(request) -> Deployment:
    return _deploy(request.param, dbTopology="elasticCluster", dbClusterNodes=4)


def test_by_default_the_database_is_one_server(each):
    assert "cluster" not in _server(each)["properties"]
    assert parse(MAIN)["parameters"]["dbTopology"]["default"] == "server"


def test_an_elastic_cluster_of_the_chosen_node_count(cluster):
    properties = _server(cluster)["properties"]
    # the application database is the cluster's one database, named at creation
    assert properties["cluster"] == {"clusterSize": 4,
                                     "defaultDatabaseName": _app_settings(cluster)["DB_NAME"]}
    assert cluster.of_type("Microsoft.DBforPostgreSQL/flexibleServers/databases") == []
    assert properties["version"] == "17"  # what elastic clusters run
    server = parse(INFRA / "app" / "database.bicep")["resources"]["server"]
    assert server["api_version"] >= "2025-08-01"  # the first stable version with `cluster`


def test_an_elastic_cluster_keeps_the_servers_policy(cluster):
    properties = _server(cluster)["properties"]
    assert properties["authConfig"] == _server(_deploy("prod"))["properties"]["authConfig"]
    assert properties["authConfig"]["passwordAuth"] == "Disabled"
    assert _server_parameters(cluster)["require_secure_transport"] == "on"
    assert _server_parameters(cluster)["pgbouncer.pool_mode"] == "transaction"
    assert _app_settings(cluster)["DB_NAME"] == "snf"


def test_the_topology_and_node_count_take_only_what_azure_offers():
    parameters = parse(MAIN)["parameters"]
    decorators = {d["type"]: d["argument"] for d in parameters["dbClusterNodes"]["decorators"]}
    assert decorators["min_value"] == 2  # a coordinator and at least one worker
    allowed = next(d["argument"] for d in parameters["dbTopology"]["decorators"]
                   if d["type"] == "allowed")
    assert sorted(allowed) == ["elasticCluster", "server"]


def test_prod_has_no_public_endpoint_and_sits_in_the_private_network(prod):
    network = _server(prod)["properties"]["network"]
    assert network["publicNetworkAccess"] == "Disabled"
    assert {"delegatedSubnetResourceId", "privateDnsZoneArmResourceId"} <= set(network)
    assert prod.of_type("Microsoft.DBforPostgreSQL/flexibleServers/firewallRules") == []
    vnet = prod.one("Microsoft.Network/virtualNetworks").body
    delegations = {d["properties"]["serviceName"] for s in vnet["properties"]["subnets"]
                   for d in s["properties"].get("delegations", [])}
    assert delegations == {"Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.App/environments"}


def test_the_functions_reach_the_database_as_their_identity_with_entra_tokens(each):
    settings = _app_settings(each)
    assert settings["DB_ENTRA_AUTH"] == "true"
    assert settings["DB_USER"] == _function_app(each)["name"]
    assert "DB_PASSWORD" not in settings


# -- Function app --------------------------------------------------------------------------------

def test_the_function_app_runs_python_3_11_on_flex_consumption(each):
    plan = each.one("Microsoft.Web/serverfarms").body
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    config = _function_app(each)["properties"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}


def test_the_function_app_has_a_system_assigned_identity(each):
    assert _function_app(each)["identity"]["type"] == "SystemAssigned"
    assert _function_app(each)["properties"]["keyVaultReferenceIdentity"] == "SystemAssigned"


def test_https_only_tls_1_2_no_ftp_and_no_basic_publishing_credentials(each):
    app = _function_app(each)
    assert app["properties"]["httpsOnly"] is True
    site = app["properties"]["siteConfig"]
    assert site["minTlsVersion"] in {"1.2", "1.3"} and site["ftpsState"] == "Disabled"
    policies = {r.body["name"]: r.body["properties"]["allow"]
                for r in each.of_type("Microsoft.Web/sites/basicPublishingCredentialsPolicies")}
    assert policies == {"ftp": False, "scm": False}


def test_cors_admits_only_the_web_apps_origin(each):
    cors = _function_app(each)["properties"]["siteConfig"]["cors"]
    assert cors["allowedOrigins"] == [each.module_params["functions.bicep"]["webOrigin"]]
    assert cors["allowedOrigins"][0].startswith("https://")
    assert _app_settings(each)["PUBLIC_BASE_URL"] == cors["allowedOrigins"][0]
    assert cors["supportCredentials"] is False


def test_with_a_custom_domain_the_web_origin_is_that_domain(prod):
    domain = parameter_file(INFRA / "main.parameters.prod.json")["customDomain"]
    assert _function_app(prod)["properties"]["siteConfig"]["cors"]["allowedOrigins"] == [f"https://{domain}"]


def test_host_storage_and_the_deployment_package_use_the_identity_not_a_key(each):
    settings = _app_settings(each)
    assert "AzureWebJobsStorage" not in settings
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    storage = _function_app(each)["properties"]["functionAppConfig"]["deployment"]["storage"]
    assert storage["authentication"] == {"type": "SystemAssignedIdentity"}
    assert not any("AccountKey=" in str(v) for v in settings.values())


def test_secrets_are_key_vault_references_and_nothing_secret_is_inline(each):
    settings = _app_settings(each)
    for name, secret in VAULT_SECRETS.items():
        assert settings[name].startswith("@Microsoft.KeyVault(SecretUri=")
        assert settings[name].endswith(f"secrets/{secret}/)")
    assert not any(str(v).startswith(("sk_", "rk_", "whsec_")) for v in settings.values())


def test_the_functions_get_every_setting_azure_needs_and_only_known_ones(each):
    settings = _app_settings(each)
    host = {"AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential",
            "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"}
    billing = set(STRIPE_SECRETS) | {"STRIPE_PRICE_STARTER", "STRIPE_PRICE_PROFESSIONAL"}
    assert set(settings) - host - billing <= set(ENVIRONMENT_NAMES.values())
    assert {"DB_HOST", "DB_NAME", "DB_USER", "PUBLIC_BASE_URL", "EMAIL_SENDER", "ACS_ENDPOINT",
            "EMAIL_FROM"} <= set(settings)
    assert settings["EMAIL_SENDER"] == "acs"


def test_telemetry_is_sent_with_the_identity_only(each):
    assert _app_settings(each)["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "Authorization=AAD"
    assert each.one("Microsoft.Insights/components").body["properties"]["DisableLocalAuth"] is True


def test_prod_functions_are_integrated_into_the_private_network(prod, dev):
    assert _function_app(prod)["properties"]["virtualNetworkSubnetId"] is not None
    assert _function_app(prod)["properties"]["siteConfig"]["vnetRouteAllEnabled"] is True
    assert _function_app(dev)["properties"]["virtualNetworkSubnetId"] is None


# -- Key Vault -----------------------------------------------------------------------------------

def test_key_vault_uses_rbac_soft_delete_and_purge_protection(each):
    vault = each.one("Microsoft.KeyVault/vaults").body["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enableSoftDelete"] is True and vault["softDeleteRetentionInDays"] >= 7
    assert vault["enablePurgeProtection"] is True
    assert "accessPolicies" not in vault


def test_prod_key_vault_is_reached_only_through_its_private_endpoint(prod):
    vault = prod.one("Microsoft.KeyVault/vaults").body["properties"]
    assert vault["publicNetworkAccess"] == "Disabled"
    assert vault["networkAcls"]["defaultAction"] == "Deny"
    (endpoint,) = prod.of_type("Microsoft.Network/privateEndpoints")
    assert endpoint.body["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"] == ["vault"]


def test_the_secrets_are_stored_under_the_names_the_references_use():
    with_secrets = _deploy("prod", stripeSecretKey="sk_live_x", stripeWebhookSecret="whsec_x",
                           totpEncryptionKey="a" * 43)
    stored = {r.body["name"] for r in with_secrets.of_type("Microsoft.KeyVault/vaults/secrets")}
    assert stored == set(VAULT_SECRETS.values())


def test_a_deployment_without_the_secrets_keeps_the_stored_ones(prod):
    assert prod.of_type("Microsoft.KeyVault/vaults/secrets") == []


def test_the_function_identity_gets_key_vault_secrets_user_and_nothing_else_on_the_vault(each):
    on_vault = [r for r in each.of_type("Microsoft.Authorization/roleAssignments")
                if r.raw["scope"] == "keyVault"]
    assert len(on_vault) == 1
    assert on_vault[0].raw["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"] \
        == "keyVaultSecretsUser"
    access = each.module_params["access.bicep"]
    assert access["principalId"] is UNKNOWN  # the function app's identity, from its output


# -- Storage -------------------------------------------------------------------------------------

def test_storage_allows_no_anonymous_reads_no_shared_key_and_tls_1_2(each):
    storage = each.one("Microsoft.Storage/storageAccounts").body["properties"]
    assert storage["allowBlobPublicAccess"] is False
    assert storage["allowSharedKeyAccess"] is False
    assert storage["minimumTlsVersion"] == "TLS1_2"
    for container in each.of_type("Microsoft.Storage/storageAccounts/blobServices/containers"):
        assert container.body["properties"]["publicAccess"] == "None"


# -- Observability -------------------------------------------------------------------------------

def test_database_function_app_and_key_vault_send_their_logs_to_log_analytics(each):
    scopes = {(r.file.name, r.raw["scope"]) for r in each.of_type("Microsoft.Insights/diagnosticSettings")}
    assert scopes == {("database.bicep", "server"), ("functions.bicep", "functionApp"),
                      ("keyvault.bicep", "keyVault")}
    for setting in each.of_type("Microsoft.Insights/diagnosticSettings"):
        assert setting.body["properties"]["logs"] and setting.raw["properties"]["workspaceId"] == "workspaceId"


def _alerts(d: Deployment) -> list[dict]:
    return [r.body for r in d.of_type("Microsoft.Insights/scheduledQueryRules")
            + d.of_type("Microsoft.Insights/metricAlerts")]


def _queries(d: Deployment) -> list[str]:
    return [c["query"] for a in d.of_type("Microsoft.Insights/scheduledQueryRules")
            for c in a.body["properties"]["criteria"]["allOf"]]


def _metric(d: Deployment, name: str) -> dict:
    found = [c for a in d.of_type("Microsoft.Insights/metricAlerts")
             for c in a.body["properties"]["criteria"]["allOf"] if c["metricName"] == name]
    assert len(found) == 1, f"one alert on {name}"
    return found[0]


def test_an_alert_watches_the_http_5xx_rate(each):
    assert any("resultCode) >= 500" in q and "100.0 * failed / total" in q for q in _queries(each))


def test_every_timer_in_the_code_alerts_on_a_failed_run_and_on_a_missing_one(each, app):
    queries = _queries(each)
    for timer in timer_functions(app):
        assert f'operation_Name == "{timer.name}" and success == false' in " ".join(queries)
        assert any(f'operation_Name == "{timer.name}" and success == true' in q for q in queries)


def test_the_alerted_timers_are_the_codes_timers_with_their_schedules(app):
    from tests.infra.bicep import Template
    alerts = Template(INFRA / "app" / "alerts.bicep", {
        name: "x" for name in ("location", "environmentType", "actionGroupId", "appInsightsId",
                               "databaseServerId", "keyVaultId", "namePrefix")} | {"tags": {}, "activeConnectionsThreshold": 1})
    assert {(t["name"], t["schedule"]) for t in alerts.scope["timers"]} == \
        {(t.name, t.schedule) for t in timer_functions(app)}


def test_alerts_watch_database_cpu_storage_and_connections(each):
    assert _metric(each, "cpu_percent")["operator"] == "GreaterThan"
    assert _metric(each, "storage_percent")["threshold"] <= 90
    assert _metric(each, "active_connections")["threshold"] > 0
    assert _metric(each, "connections_failed")["threshold"] >= 0


def test_an_alert_fires_when_key_vault_denies_access(each):
    denied = _metric(each, "ServiceApiResult")
    assert denied["dimensions"] == [{"name": "StatusCode", "operator": "Include", "values": ["403"]}]


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_every_alert_notifies_the_action_group_that_mails_the_alert_address(environment, dev, prod, app):
    d = {"dev": dev, "prod": prod}[environment]
    group = d.one("Microsoft.Insights/actionGroups").body["properties"]
    alert_email = parameter_file(INFRA / f"main.parameters.{environment}.json")["alertEmail"]
    assert [r["emailAddress"] for r in group["emailReceivers"]] == [alert_email]
    # 5xx rate; a failed and a missing run per timer; CPU, storage, connections, failed
    # connections; Key Vault denials.
    assert len(_alerts(d)) == 1 + 2 * len(timer_functions(app)) + 5
    for alert in d.of_type("Microsoft.Insights/scheduledQueryRules") + d.of_type("Microsoft.Insights/metricAlerts"):
        assert "actionGroupId" in json.dumps(alert.raw["properties"]["actions"]), alert.symbol
        assert alert.body["properties"]["enabled"] is True


# -- Static Web Apps, e-mail ---------------------------------------------------------------------

def test_the_web_app_is_linked_to_the_function_app_as_its_api(each):
    site = each.one("Microsoft.Web/staticSites")
    assert site.body["sku"]["name"] == "Standard"  # linked backends need Standard
    (backend,) = each.of_type("Microsoft.Web/staticSites/linkedBackends")
    assert backend.raw["properties"]["backendResourceId"] == "functionAppId"
    assert each.module_params["web-backend.bicep"]["functionAppId"] is UNKNOWN


def test_the_custom_domain_is_a_parameter_with_a_managed_certificate(prod, dev):
    (domain,) = prod.of_type("Microsoft.Web/staticSites/customDomains")
    assert domain.body["name"] == parameter_file(INFRA / "main.parameters.prod.json")["customDomain"]
    assert domain.body["properties"]["validationMethod"] == "cname-delegation"
    assert dev.of_type("Microsoft.Web/staticSites/customDomains") == []


def test_email_goes_out_through_communication_services_from_the_no_reply_sender(each):
    domain = each.one("Microsoft.Communication/emailServices/domains").body
    sender = each.one("Microsoft.Communication/emailServices/domains/senderUsernames").body
    assert domain["properties"]["domainManagement"] == "CustomerManaged"
    assert domain["properties"]["userEngagementTracking"] == "Disabled"
    assert _app_settings(each)["EMAIL_FROM"] == f"{sender['properties']['username']}@{domain['name']}"
    assert each.one("Microsoft.Communication/communicationServices")
