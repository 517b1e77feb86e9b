"""HTTP layer: routing, JSON bodies, error mapping and access logging."""

from __future__ import annotations

import json
import logging
import time
import uuid
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .config import ADMIN_TOKEN, Config
from .errors import (AuthError, NotFoundError, RateLimitedError, TaskStoreError,
                     ValidationError)
from .notify import Notifier
from .ratelimit import RateLimiter
from .store import TaskStore

log = logging.getLogger("taskstore.http")

MAX_BODY = 64 * 1024

# Recent requests, served on /debug/events for quick troubleshooting.
RECENT_EVENTS: list[dict[str, Any]] = []


@lru_cache(maxsize=None)
def parse_path(raw_path: str) -> tuple[str, str | None]:
    """Map '/tasks/abc?x=1' to ('tasks', 'abc') and '/health' to ('health', None)."""
    parts = [part for part in urlsplit(raw_path).path.split("/") if part]
    if not parts:
        return "", None
    if len(parts) == 1:
        return parts[0], None
    if len(parts) == 2:
        return parts[0], parts[1]
    return "/".join(parts), None


class App:
    def __init__(self, config: Config, store: TaskStore, notifier: Notifier | None = None,
                 limiter: RateLimiter | None = None):
        self.config = config
        self.store = store
        self.notifier = notifier or Notifier(config.webhook_url)
        self.limiter = limiter or RateLimiter(config.rate_limit, config.rate_burst)

    def notify(self, event: str, task: dict[str, Any]) -> None:
        try:
            self.notifier.notify(event, task)
        except Exception:
            log.exception("could not schedule %s notification", event)


class TaskHandler(BaseHTTPRequestHandler):
    server_version = "taskstore/0.3"
    server: "TaskServer"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # access logging happens in _dispatch, as JSON

    def _dispatch(self, method: str) -> None:
        app = self.server.app
        self.request_id = self.headers.get("X-Request-Id") or uuid.uuid4().hex
        started = time.monotonic()
        try:
            if not app.limiter.allow(self.client_address[0]):
                raise RateLimitedError("too many requests")
            status, body = self._route(app, method)
        except TaskStoreError as err:
            status, body = err.status, {"error": err.code, "message": str(err)}
        except Exception:
            log.exception("unhandled error", extra={"request_id": self.request_id})
            status, body = 500, {"error": "internal_error", "message": "internal server error"}
        self._send_json(status, body)
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        log.info("request", extra={"request_id": self.request_id, "method": method,
                                   "path": self.path, "status": status,
                                   "duration_ms": duration_ms, "client": self.client_address[0]})
        RECENT_EVENTS.append({"at": time.time(), "method": method, "path": self.path,
                              "status": status, "request_id": self.request_id})

    def _route(self, app: App, method: str) -> tuple[int, Any]:
        resource, ident = parse_path(self.path)
        if method == "GET" and resource == "health":
            return 200, {"status": "ok"}
        if method == "GET" and resource == "ready":
            return 200, {"status": "ready", "tasks": app.store.ping()}
        if method == "GET" and resource == "debug" and ident == "events":
            return 200, {"events": RECENT_EVENTS[-50:]}
        if method == "POST" and resource == "admin" and ident == "export":
            self._require_admin()
            count = app.store.export_json(app.config.export_path)
            return 200, {"exported": count, "path": app.config.export_path}
        if resource != "tasks":
            raise NotFoundError(f"no route for {method} {urlsplit(self.path).path}")
        if ident is None and method == "GET":
            return 200, {"tasks": self._list_tasks(app)}
        if ident is None and method == "POST":
            task = app.store.create_task(self._read_json())
            app.notify("created", task)
            return 201, task
        if ident is not None and method == "GET":
            return 200, app.store.get_task(ident)
        if ident is not None and method == "PUT":
            task = app.store.update_task(ident, self._read_json())
            app.notify("updated", task)
            return 200, task
        if ident is not None and method == "DELETE":
            app.store.delete_task(ident)
            app.notify("deleted", {"id": ident})
            return 204, None
        raise NotFoundError(f"no route for {method} {urlsplit(self.path).path}")

    def _list_tasks(self, app: App) -> list[dict[str, Any]]:
        query = parse_qs(urlsplit(self.path).query)
        try:
            slow_ms = int(query.get("slow_ms", [app.config.slow_ms])[0])
        except ValueError as err:
            raise ValidationError("slow_ms must be an integer") from err
        if slow_ms > 0:
            time.sleep(slow_ms / 1000)
        return app.store.list_tasks(status=query.get("status", [None])[0])

    def _require_admin(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {ADMIN_TOKEN}":
            raise AuthError("admin token required")

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValidationError(f"request body larger than {MAX_BODY} bytes")
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except json.JSONDecodeError as err:
            raise ValidationError(f"invalid JSON: {err.msg}") from err

    def _send_json(self, status: int, body: Any) -> None:
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("X-Request-Id", self.request_id)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)


class TaskServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: App):
        super().__init__(address, TaskHandler)
        self.app = app


def make_server(config: Config, store: TaskStore, notifier: Notifier | None = None,
                limiter: RateLimiter | None = None) -> TaskServer:
    return TaskServer((config.host, config.port), App(config, store, notifier, limiter))
