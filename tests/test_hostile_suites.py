"""Hostile test suites run through the coverage collector with a short timeout: each gives a clear
outcome in the evidence, leaves no process behind and no unbounded log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assess import _proc
from assess._proc import _BoundedLog, kill_recorded_groups, run_bounded
from assess.collectors.coverage import collect_coverage
from assess.model import Status
from tests.conftest import CALC_PROJECT, process_alive

TIMEOUT_S = 10.0


def _gone(pids: list[int], within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while any(process_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(process_alive(p) for p in pids)


def suite(body: str) -> dict[str, str | bytes]:
    return {**CALC_PROJECT, "tests/test_hostile.py": "import os, signal, sys, time\n\n" + body}


FORKS = """
def test_forks(tmp_path):
    for name in ("child", "grandchild"):
        pid = os.fork()
        if pid == 0:
            if name == "grandchild" and os.fork():  # double fork: a daemon re-parented to init, same group
                os._exit(0)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            open(os.path.join({pids!r}, name), "w").write(str(os.getpid()))
            time.sleep(600)
            os._exit(0)
    while len(os.listdir({pids!r})) < 2:
        time.sleep(0.05)
"""

# id, test module body (or a test command's script), expected (status, reason prefix), exit code
CASES: list[tuple[str, str, Status, str | None, int | None]] = [
    ("hangs-ignoring-sigterm",
     "def test_hang():\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    time.sleep(600)\n",
     Status.ERROR, "the test suite ran longer than the 10 s timeout and was stopped", None),
    ("os-exit-0", "def test_exit():\n    os._exit(0)\n",
     Status.ERROR, "no coverage data was recorded", 0),
    ("sigkill-self", "def test_kill():\n    os.kill(os.getpid(), signal.SIGKILL)\n",
     Status.ERROR, "pytest could not run the suite (exit code -9)", -9),
    ("chdir", "from calc import add\n\ndef test_cd():\n    os.chdir('/')\n    assert add(1, 2) == 3\n",
     Status.OK, None, 0),
    ("deletes-its-files",
     "import shutil, pathlib\nfrom calc import add\n\ndef test_rm():\n    assert add(1, 2) == 3\n"
     "    root = pathlib.Path(__file__).parent.parent\n    shutil.rmtree(root / 'calc')\n"
     "    shutil.rmtree(root / 'tests')\n",  # coverage.py cannot report on code that is gone, and says so
     Status.ERROR, "no coverage data was recorded (NoSource: No source for code:", 0),
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(("body", "status", "reason", "exit_code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_suite_outcome(make_repo, make_ctx, body: str, status: Status, reason: str | None,
                               exit_code: int | None) -> None:  # fmt: skip
    repo = make_repo(suite(body))
    start = time.monotonic()
    ev = collect_coverage(make_ctx(repo, timeout_s=TIMEOUT_S))
    assert time.monotonic() - start < TIMEOUT_S + _proc.KILL_GRACE_S + 30
    assert ev.status is status
    assert (ev.reason or "").startswith(reason or ""), ev.reason
    assert ev.data is not None and ev.data.test_run is not None
    assert ev.data.test_run.exit_code == exit_code


@pytest.mark.slow
def test_a_suite_that_deletes_its_files_is_reported(make_repo, make_ctx) -> None:
    repo = make_repo(suite(CASES[4][1]))
    ev = collect_coverage(make_ctx(repo, timeout_s=TIMEOUT_S))
    assert "deleted calc/__init__.py" in ev.data.test_run.tree_changes  # type: ignore[union-attr]
    assert "changed the target's tree" in ev.warnings[0]


@pytest.mark.slow
def test_children_that_outlive_the_suite_are_killed(make_repo, make_ctx, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    repo = make_repo(suite(FORKS.format(pids=str(pids))))
    ev = collect_coverage(make_ctx(repo, timeout_s=TIMEOUT_S))
    assert ev.status is Status.OK and ev.data.test_run.exit_code == 0  # type: ignore[union-attr]
    children = [int((pids / name).read_text()) for name in ("child", "grandchild")]
    assert _gone(children), "a process the suite forked outlived it"


SPEW = "import sys\nchunk = b'x' * 65535 + b'\\n'\nwhile True:\n    sys.stdout.buffer.write(chunk)\n"


@pytest.mark.slow
def test_endless_output_is_bounded_on_disk(make_repo, make_ctx, tmp_path: Path) -> None:
    repo = make_repo({**CALC_PROJECT, "spew.py": SPEW})
    ev = collect_coverage(make_ctx(repo, timeout_s=5, test_command="python spew.py"))
    assert ev.status is Status.ERROR and "timeout" in (ev.reason or "")
    log = tmp_path / "run" / ev.data.test_run.output_log  # type: ignore[union-attr]
    limit = _proc.MAX_LOG_HEAD_BYTES + _proc.MAX_LOG_TAIL_BYTES + 200
    assert log.stat().st_size <= limit
    marker = log.read_bytes()[_proc.MAX_LOG_HEAD_BYTES : _proc.MAX_LOG_HEAD_BYTES + 200]
    assert b"bytes of output left out here]" in marker


def test_the_log_keeps_head_and_tail_and_counts_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_proc, "MAX_LOG_HEAD_BYTES", 10)
    monkeypatch.setattr(_proc, "MAX_LOG_TAIL_BYTES", 8)
    with (tmp_path / "log").open("wb") as fh:
        log = _BoundedLog(fh)
        for i in range(100):
            log.write(f"{i:03d}\n".encode())
        log.close()
    assert (tmp_path / "log").read_bytes() == b"000\n001\n00\n[assess: 382 bytes of output left out here]\n098\n099\n"


def test_a_short_log_is_kept_whole(tmp_path: Path) -> None:
    result = run_bounded([sys.executable, "-c", "print('a' * 100)"], cwd=tmp_path, env=dict(os.environ),
                         timeout_s=30, log_path=tmp_path / "log")  # fmt: skip
    assert result.exit_code == 0 and (tmp_path / "log").read_bytes() == b"a" * 100 + b"\n"


def test_a_process_that_leaves_the_group_does_not_hold_the_run(tmp_path: Path) -> None:
    # setsid() escapes the process group; the reaper kills it when the command ends, and its open stdout
    # must not keep run_bounded waiting for the end of the output meanwhile.
    script = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n"
    start = time.monotonic()
    result = run_bounded([sys.executable, "-c", script], cwd=tmp_path, env=dict(os.environ), timeout_s=30,
                         log_path=tmp_path / "log")  # fmt: skip
    assert result.exit_code == 0 and time.monotonic() - start < _proc.DRAIN_AFTER_EXIT_S + 5


def test_recorded_groups_are_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What an interrupted pipeline does for the test suites its notebooks' kernels started."""
    groups = tmp_path / "groups"
    monkeypatch.setenv(_proc.GROUPS_DIR_ENV, str(groups))
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    record = _proc.record_group(proc.pid)
    assert record is not None and record.read_text()
    (groups / "999999999").write_text("1")  # a group long gone: nothing to kill
    assert kill_recorded_groups(groups) == 1
    assert proc.wait(timeout=5) == -signal.SIGKILL


def test_a_reused_process_id_is_not_killed(tmp_path: Path) -> None:
    groups = tmp_path / "groups"
    groups.mkdir()
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        (groups / str(proc.pid)).write_text("0")  # its id, recorded with another start time: a reused id
        assert kill_recorded_groups(groups) == 0
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def test_our_own_group_is_never_killed(tmp_path: Path) -> None:
    """Even recorded with no start time to check: pytest's group may have a dead leader (as under
    CI's shell), and killing it would end the test run itself. Checked in a child in a session of
    its own, so a regression kills the child, not this test run."""
    code = (
        "import os, pathlib, sys\n"
        "from assess._proc import kill_recorded_groups\n"
        "groups = pathlib.Path(sys.argv[1])\n"
        "(groups / str(os.getpgid(0))).write_text('')\n"
        "print(kill_recorded_groups(groups))\n"
    )
    groups = tmp_path / "groups"
    groups.mkdir()
    child = subprocess.run([sys.executable, "-c", code, str(groups)], capture_output=True, text=True, timeout=60,
                           start_new_session=True)  # fmt: skip
    assert (child.returncode, child.stdout.strip()) == (0, "0"), child.stderr
