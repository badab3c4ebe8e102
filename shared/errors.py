"""One exception type per HTTP status the API answers with. `shared.problems` turns them into
application/problem+json; nothing else builds an error response."""
from __future__ import annotations


class ProblemError(Exception):
    status = 500
    title = "Internal Server Error"
    slug = "internal"

    def __init__(self, detail: str | None = None, *, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None, extensions: dict | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        # RFC 9457 extension members: facts a client acts on (the limit, the usage, a link).
        self.extensions = extensions or {}


class BadRequest(ProblemError):
    status, title, slug = 400, "Bad Request", "bad-request"


class Unauthorized(ProblemError):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str = "Sign in to continue.", **kwargs):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **kwargs)


class PaymentRequired(ProblemError):
    status, title, slug = 402, "Payment Required", "payment-required"


class Forbidden(ProblemError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ProblemError):
    status, title, slug = 404, "Not Found", "not-found"


class MethodNotAllowed(ProblemError):
    status, title, slug = 405, "Method Not Allowed", "method-not-allowed"


class Conflict(ProblemError):
    status, title, slug = 409, "Conflict", "conflict"


class Gone(ProblemError):
    status, title, slug = 410, "Gone", "gone"


class LengthRequired(ProblemError):
    status, title, slug = 411, "Length Required", "length-required"


class PayloadTooLarge(ProblemError):
    status, title, slug = 413, "Content Too Large", "payload-too-large"


class UriTooLong(ProblemError):
    status, title, slug = 414, "URI Too Long", "uri-too-long"


class UnsupportedMediaType(ProblemError):
    status, title, slug = 415, "Unsupported Media Type", "unsupported-media-type"


class HeaderFieldsTooLarge(ProblemError):
    status, title, slug = 431, "Request Header Fields Too Large", "header-fields-too-large"


class Unprocessable(ProblemError):
    status, title, slug = 422, "Unprocessable Content", "validation"

    @classmethod
    def for_fields(cls, errors: dict[str, str | list[str]],
                   location: str = "body") -> "Unprocessable":
        """A 422 naming each field with what is wrong with it (rules the models cannot see)."""
        return cls("Some fields are missing or invalid.", errors=[
            {"location": location, "field": field, "message": message, "type": "value_error"}
            for field, messages in errors.items()
            for message in ([messages] if isinstance(messages, str) else messages)])


class TooManyRequests(ProblemError):
    status, title, slug = 429, "Too Many Requests", "too-many-requests"

    def __init__(self, detail: str, *, retry_after_seconds: int):
        super().__init__(detail, headers={"Retry-After": str(max(1, int(retry_after_seconds)))})


class ServiceUnavailable(ProblemError):
    """Every 503 says when to try again: a client that retries at once only adds to the load
    of a database that is coming back."""
    status, title, slug = 503, "Service Unavailable", "unavailable"

    def __init__(self, detail: str | None = None, *, retry_after_seconds: int = 1, **kwargs):
        headers = {"Retry-After": str(max(1, int(retry_after_seconds))), **kwargs.pop("headers", {})}
        super().__init__(detail, headers=headers, **kwargs)
