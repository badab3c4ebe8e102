"""The local stand-in for the Azure Functions host: serves the FunctionApp's HTTP routes under
/api and the static frontend from web/ at /, on a threading HTTP server."""
from __future__ import annotations

import json
import logging
import mimetypes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from local.router import Router

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
log = logging.getLogger("snf.localhost")


def static_headers(web_dir: Path = WEB_DIR) -> dict[str, str]:
    """The security headers Static Web Apps sends with web/ in Azure (its
    staticwebapp.config.json), so the browser tests run under the same Content-Security-Policy."""
    config = json.loads((web_dir / "staticwebapp.config.json").read_text())
    return dict(config.get("globalHeaders", {}))


def make_server(app, host: str = "127.0.0.1", port: int = 7071) -> ThreadingHTTPServer:
    router = Router(app)
    security_headers = static_headers()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "snf-localhost"

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
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

        def _send(self, status: int, headers: dict, body: bytes, mimetype: str | None):
            self.send_response(status)
            lowered = {k.lower() for k in headers}
            for name, value in headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            if "content-type" not in lowered and mimetype and body:
                self.send_header("Content-Type", mimetype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def __getattr__(self, name):
            # Any other method (TRACE, QUERY, ...) gets the router's 405 problem+json, as the
            # functions answer, rather than http.server's text/html 501.
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

        def log_message(self, format, *args):  # the functions log each request themselves
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
