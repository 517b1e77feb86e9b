"""The dependency ``assess`` gives a service under chaos: a loopback HTTP sink behind a fault proxy.

The service is started with ``{dependency_url}`` pointing at the proxy; the sink answers 200 with
``{}`` to any request and counts what arrives, so an experiment can cut the dependency off
(blackhole, reset) and see whether the service's calls reach it again once it is back.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from assess.chaos.proxy import FaultProxy
from assess.chaos.service import HOST

MAX_BODY = 1024 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    calls: list[float]
    lock: threading.Lock


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
        if length:
            self.rfile.read(length)
        with self.server.lock:
            self.server.calls.append(time.monotonic())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer


class Dependency:
    """Sink plus proxy; ``proxy`` listens on the port the service was told about."""

    def __init__(self, port: int) -> None:
        self._server = _Server((HOST, 0), _Handler)
        self._server.calls = []
        self._server.lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, name="assess-dependency", daemon=True)
        self.proxy = FaultProxy(HOST, self._server.server_address[1], listen_port=port)

    def start(self) -> None:
        self._thread.start()
        self.proxy.start()

    def stop(self) -> None:
        self.proxy.stop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def calls(self) -> int:
        """Requests that reached the sink so far."""
        with self._server.lock:
            return len(self._server.calls)
