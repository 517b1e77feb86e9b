import json
import threading
import urllib.error
import urllib.request

import pytest

from taskstore.config import Config
from taskstore.server import make_server
from taskstore.store import TaskStore


class Client:
    def __init__(self, base_url):
        self.base_url = base_url

    def request(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                raw = resp.read()
                return resp.status, dict(resp.headers), json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            return err.code, dict(err.headers), json.loads(raw) if raw else None


def _serve(config, store, **kwargs):
    server = make_server(config, store, **kwargs)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    return server, thread


@pytest.fixture
def live_server(tmp_path):
    """Starts the real HTTP server on an ephemeral 127.0.0.1 port."""
    config = Config(host="127.0.0.1", port=0, db_path=str(tmp_path / "live.db"), rate_limit=0)
    store = TaskStore(config.db_path)
    store.init_schema()
    server, thread = _serve(config, store)
    host, port = server.server_address[:2]
    yield Client(f"http://{host}:{port}")
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def serve():
    """Factory for servers with custom config; all are stopped at teardown."""
    running = []

    def start(config, store, **kwargs):
        server, thread = _serve(config, store, **kwargs)
        running.append((server, thread))
        host, port = server.server_address[:2]
        return Client(f"http://{host}:{port}")

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
