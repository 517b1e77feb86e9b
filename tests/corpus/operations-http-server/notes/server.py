"""HTTP handler with a routing table and a path switch."""

import json
import logging
import sqlite3
from http.server import BaseHTTPRequestHandler

log = logging.getLogger("notes.http")
CORRELATION_HEADER = "X-Correlation-Id"  # expect: observability.request-id


def check_database(handler: "Handler") -> tuple[int, dict]:
    with sqlite3.connect("notes.db", timeout=2) as conn:  # expect: health.deep-check
        conn.execute("SELECT 1")
    return 200, {"status": "ready"}


def list_notes(handler: "Handler") -> tuple[int, dict]:
    return 200, {"notes": []}


ROUTES = {"/readyz": check_database, "/notes": list_notes}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        correlation = self.headers.get(CORRELATION_HEADER, "")
        if self.path == "/healthz":
            self.send_response(200)  # expect: health.shallow-check
            self.end_headers()
            self.wfile.write(b"ok")
            return
        route = ROUTES.get(self.path)
        status, body = route(self) if route else (404, {"error": "not found"})
        self.send_response(status)
        self.send_header("X-Correlation-Id", correlation)
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())
        log.info("request", extra={"path": self.path, "status": status})
