import json
from pathlib import Path

import pytest

from taskstore.config import ADMIN_TOKEN, Config
from taskstore.ratelimit import RateLimiter
from taskstore.store import TaskStore

pytestmark = pytest.mark.integration


def test_health_and_ready(live_server):
    status, headers, body = live_server.request("GET", "/health")
    assert (status, body) == (200, {"status": "ok"})
    assert headers["X-Request-Id"]
    status, _, body = live_server.request("GET", "/ready")
    assert status == 200 and body["status"] == "ready"


def test_task_lifecycle(live_server):
    status, _, created = live_server.request("POST", "/tasks", {"title": "ship it"})
    assert status == 201
    task_url = f"/tasks/{created['id']}"

    status, _, fetched = live_server.request("GET", task_url)
    assert status == 200 and fetched["title"] == "ship it"

    status, _, updated = live_server.request("PUT", task_url, {"status": "done"})
    assert status == 200 and updated["status"] == "done"

    status, _, listing = live_server.request("GET", "/tasks?status=done")
    assert [t["id"] for t in listing["tasks"]] == [created["id"]]

    status, _, body = live_server.request("DELETE", task_url)
    assert (status, body) == (204, None)
    assert live_server.request("GET", task_url)[0] == 404


def test_request_id_is_echoed(live_server):
    _, headers, _ = live_server.request("GET", "/health", headers={"X-Request-Id": "abc123"})
    assert headers["X-Request-Id"] == "abc123"


@pytest.mark.parametrize(
    "method, path, body, expected",
    [
        ("POST", "/tasks", {"title": ""}, 400),
        ("PUT", "/tasks/t_missing", {"title": "x"}, 404),
        ("GET", "/nope", None, 404),
        ("GET", "/tasks?slow_ms=abc", None, 400),
        ("POST", "/admin/export", None, 401),
    ],
)
def test_error_responses(live_server, method, path, body, expected):
    status, _, payload = live_server.request(method, path, body)
    assert status == expected
    assert "error" in payload and "message" in payload


def test_slow_listing_still_answers(live_server):
    live_server.request("POST", "/tasks", {"title": "slow"})
    status, _, body = live_server.request("GET", "/tasks?slow_ms=50")
    assert status == 200 and len(body["tasks"]) == 1


def test_admin_export(live_server, tmp_path):
    live_server.request("POST", "/tasks", {"title": "exported"})
    status, _, body = live_server.request(
        "POST", "/admin/export", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert status == 200 and body["exported"] == 1
    assert json.loads(Path(body["path"]).read_text())["tasks"][0]["title"] == "exported"


def test_rate_limit_returns_429(serve, tmp_path):
    config = Config(port=0, db_path=str(tmp_path / "rl.db"))
    store = TaskStore(config.db_path)
    store.init_schema()
    client = serve(config, store, limiter=RateLimiter(rate=0.001, burst=2))
    codes = [client.request("GET", "/health")[0] for _ in range(3)]
    assert codes == [200, 200, 429]


def test_ready_fails_without_schema(serve, tmp_path):
    config = Config(port=0, db_path=str(tmp_path / "empty.db"), rate_limit=0)
    client = serve(config, TaskStore(config.db_path))
    assert client.request("GET", "/health")[0] == 200
    status, _, body = client.request("GET", "/ready")
    assert status == 503 and body["error"] == "storage_unavailable"

