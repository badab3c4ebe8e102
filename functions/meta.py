"""The service itself: health, the OpenAPI document, and the answer for unknown routes."""
import azure.functions as func
from pydantic import ConfigDict

from shared import db
from shared.endpoint import Context, endpoint
from shared.errors import MethodNotAllowed, NotFound
from shared.models.common import Input, Output
from shared.routing import allowed_methods

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
    from shared.openapi import document

    return func.HttpResponse(document(_app()), mimetype="application/json")


def _app():
    from function_app import app  # the composed app; imported at call time, never at start-up
    return app


class UnknownPath(Input):
    # As sent: "facilities/%09" stripped to "facilities/" would name the collection and get
    # its 405, where the host finds no such endpoint.
    model_config = ConfigDict(**{**Input.model_config, "str_strip_whitespace": False})
    path: str = ""


# The Functions host tries literal routes first and a catch-all last, so this answers only what
# no other function does, with the same problem+json as everything else: 405 with Allow when
# the path exists for other methods, else 404.
@bp.route(route="{*path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@endpoint(summary="No such endpoint: the answer to any route not listed here", tag="meta",
          role=None, path=UnknownPath, status=404, errors=(405,))
def not_found(ctx: Context) -> None:
    allowed = allowed_methods(_app(), ctx.path.path)
    if allowed:
        raise MethodNotAllowed(f"This endpoint answers {', '.join(allowed)}.",
                               headers={"Allow": ", ".join(allowed)})
    raise NotFound("There is no such endpoint. See /api/openapi.json.")
