"""Bounded subprocesses: a timeout kills the whole process group, grandchildren included."""

from __future__ import annotations

import os
import time
from pathlib import Path

from assess._proc import run_bounded, tail

from .conftest import process_alive


def test_timeout_kills_the_group(tmp_path: Path):
    pid_file = tmp_path / "child.pid"
    script = f"sleep 300 & echo $! > {pid_file}; wait"
    start = time.monotonic()
    result = run_bounded(
        ["sh", "-c", script], cwd=tmp_path, env=dict(os.environ), timeout_s=1.0, log_path=tmp_path / "log"
    )
    assert result.timed_out and result.exit_code is None
    assert time.monotonic() - start < 15
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while process_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_alive(grandchild)


def test_output_goes_to_log_and_exit_code_is_kept(tmp_path: Path):
    result = run_bounded(
        ["sh", "-c", "echo hello; echo oops >&2; exit 3"],
        cwd=tmp_path,
        env=dict(os.environ),
        timeout_s=30,
        log_path=tmp_path / "out.log",
    )
    assert (result.exit_code, result.timed_out) == (3, False)
    assert tail(tmp_path / "out.log").splitlines() == ["hello", "oops"]


def test_tail_of_missing_file_is_empty(tmp_path: Path):
    assert tail(tmp_path / "absent") == ""


def test_kill_active_groups_stops_running_commands(tmp_path: Path):
    import threading

    from assess._proc import kill_active_groups

    results = []
    worker = threading.Thread(target=lambda: results.append(run_bounded(
        ["sleep", "300"], cwd=tmp_path, env=dict(os.environ), timeout_s=600, log_path=tmp_path / "log")))  # fmt: skip
    worker.start()
    deadline = time.monotonic() + 10
    killed = 0
    while not killed and time.monotonic() < deadline:
        killed = kill_active_groups()
        time.sleep(0.05)
    worker.join(timeout=15)
    assert killed == 1 and not worker.is_alive()
    assert results[0].exit_code == -9  # SIGKILL, long before its own end
    assert kill_active_groups() == 0  # nothing left running
