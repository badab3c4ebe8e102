"""The Azure Functions entry point: it only composes the blueprints of functions/."""
import azure.functions as func

from functions import (admissions, audit_log, auth, billing, configuration, cost_models,
                       dashboard, exports, facilities, maintenance, meta, onboarding,
                       organization, payers, rates, sessions, two_factor, users)
from shared.settings import get_settings

# At start-up, not in the first request: a setting whose Key Vault reference did not resolve
# stops the app here, with the setting's name in the host's log.
get_settings()

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for module in (meta, auth, two_factor, sessions, users, organization, exports, facilities, payers, rates, cost_models,
               configuration, onboarding, admissions, dashboard, billing, audit_log,
               maintenance):
    app.register_functions(module.bp)
