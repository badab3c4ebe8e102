"""The Azure Functions entry point: it only composes the blueprints of functions/."""
import azure.functions as func

from functions import auth, facilities, maintenance, meta

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for module in (meta, auth, facilities, maintenance):
    app.register_functions(module.bp)
