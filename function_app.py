"""The Azure Functions entry point: it registers every function of functions/ from their index,
without importing them. Each function's module is imported on its first call (shared/routing.py),
so a cold start pays for what its first request uses, not for every endpoint."""
import azure.functions as func

from functions import index
from shared.key_vault import require_resolved
from shared.routing import register

# At start-up, not in the first request: a setting whose Key Vault reference did not resolve
# stops the app here, with the setting's name in the host's log. (The settings' values are
# validated when first read, by the first request or timer: shared.settings.)
require_resolved()

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
register(app, index)
