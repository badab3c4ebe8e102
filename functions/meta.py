"""The service itself: health, the OpenAPI document, and the answer for unknown routes."""
import json

import azure.functions as func

from shared import db
from shared.endpoint import Context, endpoint
from shared.errors import NotFound
from shared.models.common import Output

bp = func.Blueprint()


class Health(Output):
    status: str
    database: str


@bp.route(route="health", methods=["GET"])
@endpoint(summary="Whether the service and its database answer", tag="meta", role=None,
          response=Health)
def health(ctx: Context) -> Health:
    db.ping()
    return Health(status="ok", database="ok")


@bp.route(route="openapi.json", methods=["GET"])
@endpoint(summary="This API's OpenAPI document", tag="meta", role=None, response=dict)
def openapi(ctx: Context) -> func.HttpResponse:
    from function_app import app  # the composed app; imported at call time, never at start-up
    from shared.openapi import build

    return func.HttpResponse(json.dumps(build(app)), mimetype="application/json")


# The Functions host tries literal routes first and a catch-all last, so this answers only what
# no other function does, with the same problem+json as everything else.
@bp.route(route="{*path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@endpoint(summary="No such endpoint: the answer to any route not listed here", tag="meta",
          role=None, status=404)
def not_found(ctx: Context) -> None:
    raise NotFound("There is no such endpoint. See /api/openapi.json.")
