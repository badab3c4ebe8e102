"""The local stand-in for the Azure Functions host: serves the FunctionApp's HTTP routes under
/api and the static frontend from web/ at /, on a threading HTTP server.

What the host itself refuses (a malformed request line or Content-Length, a method no function
takes, a body over the host's limit) is answered with the same problem+json as the functions,
never an HTML page or a silently closed connection."""
from __future__ import annotations

import json
import logging
import mimetypes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from local.router import Router
from shared.endpoint import new_request_id
from shared.errors import (BadRequest, HeaderFieldsTooLarge, LengthRequired, MethodNotAllowed,
                           PayloadTooLarge, ProblemError, UriTooLong)
from shared.problems import problem_response

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
log = logging.getLogger("snf.localhost")

# The Functions host's default request limit (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, 100 MB); the
# functions refuse far less (shared.endpoint.MAX_BODY_BYTES) with their own 413.
HOST_BODY_LIMIT = 100 * 1024 * 1024
# Connections the kernel queues before the server accepts them; 5 (socketserver's default)
# resets a burst of 50 clients. The kernel caps it at net.core.somaxconn.
LISTEN_BACKLOG = 1024
# A client that stops sending mid-request frees its thread after this long.
CLIENT_TIMEOUT_SECONDS = 30
STATIC_METHODS = ("GET", "HEAD")


def static_headers(web_dir: Path = WEB_DIR) -> dict[str, str]:
    """The security headers Static Web Apps sends with web/ in Azure (its
    staticwebapp.config.json), so the browser tests run under the same Content-Security-Policy."""
    config = json.loads((web_dir / "staticwebapp.config.json").read_text())
    return dict(config.get("globalHeaders", {}))


def body_length(headers) -> int:
    """The request's Content-Length as a number of bytes, or the problem it is: only one value,
    decimal digits, within the host's limit; a chunked body is not taken (send its length)."""
    if headers.get("Transfer-Encoding", "identity").strip().lower() != "identity":
        raise LengthRequired("Send the body with a Content-Length; chunked bodies are not taken.")
    values = headers.get_all("Content-Length") or []
    if not values:
        return 0
    if len(set(values)) != 1 or not values[0].strip().isdigit() or not values[0].strip().isascii():
        raise BadRequest("The Content-Length header must be one number of bytes.")
    length = int(values[0])
    if length > HOST_BODY_LIMIT:
        raise PayloadTooLarge(f"The body is larger than {HOST_BODY_LIMIT // (1024 * 1024)} MB.")
    return length


class Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


def make_server(app, host: str = "127.0.0.1", port: int = 7071) -> ThreadingHTTPServer:
    router = Router(app)
    security_headers = static_headers()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "snf-localhost"
        timeout = CLIENT_TIMEOUT_SECONDS

        def _handle(self):
            try:
                length = body_length(self.headers)
            except ProblemError as problem:
                self.close_connection = True  # the rest of the stream cannot be framed
                return self._problem(problem)
            body = self.rfile.read(length) if length else b""
            if len(body) < length:  # the client hung up or timed out mid-body
                self.close_connection = True
                return
            path = self.path.split("?", 1)[0]
            if router.handles(path):
                headers = {k.lower(): v for k, v in self.headers.items()}
                # As Azure's front end does: append the peer, so the last hop is trustworthy.
                forwarded = headers.get("x-forwarded-for")
                peer = self.client_address[0]
                headers["x-forwarded-for"] = f"{forwarded}, {peer}" if forwarded else peer
                url = f"http://{self.headers.get('Host', f'{host}:{port}')}{self.path}"
                response = router.dispatch(self.command, url, headers, body)
                self._send(response.status_code, dict(response.headers),
                           response.get_body() or b"", response.mimetype)
            elif self.command not in STATIC_METHODS:
                self._not_allowed()
            else:
                self._static(path)

        def _static(self, path: str):
            target = (WEB_DIR / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if WEB_DIR not in target.parents or not target.is_file():
                return self._send(404, {}, b"not found", "text/plain")
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            self._send(200, {**security_headers, "Cache-Control": "no-cache"}, target.read_bytes(), kind)

        def _not_allowed(self):
            """A method the static files do not take: the 405 problem the functions give."""
            allowed = ", ".join(STATIC_METHODS)
            self._problem(MethodNotAllowed(f"This path answers {allowed}.",
                                           headers={"Allow": allowed}))

        def _problem(self, problem: ProblemError):
            response = problem_response(problem, new_request_id())
            self._send(response.status_code, dict(response.headers), response.get_body(),
                       response.mimetype)

        def _send(self, status: int, headers: dict, body: bytes, mimetype: str | None):
            self.send_response(status)
            lowered = {k.lower() for k in headers}
            for name, value in headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            if "content-type" not in lowered and mimetype and body:
                self.send_header("Content-Type", mimetype)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def parse_request(self):
            if not super().parse_request():
                return False
            if self.request_version == "HTTP/0.9":  # a bare "GET /": no headers to answer in
                self.send_error(400)
                return False
            return True

        def send_error(self, code, message=None, explain=None):
            """What http.server refuses before a handler runs (a request line it cannot parse,
            an oversized header, an HTTP version it does not speak) as problem+json."""
            self.close_connection = True
            self.command = ""  # whatever was parsed, the answer carries its body
            self.request_version = self.protocol_version  # and its status line and headers
            refusal = {414: UriTooLong, 431: HeaderFieldsTooLarge}.get(code, BadRequest)
            # http.server's message may quote the request line: the path is not echoed back.
            self._problem(refusal("The request line or its headers could not be read."))

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def __getattr__(self, name):
            # Any other method (TRACE, QUERY, ...) gets the router's 405 problem+json, as the
            # functions answer, rather than http.server's text/html 501.
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

        def log_message(self, format, *args):  # the functions log each request themselves
            pass

    return Server((host, port), Handler)
