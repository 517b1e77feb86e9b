"""Runs `python -m taskstore` as a real process."""

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def start_process(db_path, log_path):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "TASKSTORE_RATE_LIMIT": "0"}
    log_file = open(log_path, "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "taskstore", "--host", "127.0.0.1", "--port", "0", "--db", str(db_path)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=log_file, text=True,
    )
    log_file.close()
    line = proc.stdout.readline()
    assert line.startswith("taskstore listening on "), line
    return proc, line.split()[-1].strip()


def call(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.status, json.loads(resp.read())


def test_committed_task_survives_sigkill(tmp_path):
    db_path = tmp_path / "durable.db"
    proc, base = start_process(db_path, tmp_path / "server.log")
    try:
        assert call("GET", base + "/health") == (200, {"status": "ok"})
        status, task = call("POST", base + "/tasks", {"title": "survive"})
        assert status == 201
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)
        proc.stdout.close()

    proc, base = start_process(db_path, tmp_path / "server.log")
    try:
        status, fetched = call("GET", f"{base}/tasks/{task['id']}")
        assert status == 200 and fetched["title"] == "survive"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        proc.stdout.close()
    logs = (tmp_path / "server.log").read_text().splitlines()
    assert any(json.loads(line).get("path") == "/health" for line in logs if line.startswith("{"))
