"""Run an untrusted command with a time limit, killing its whole process group when it overruns."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

KILL_GRACE_S = 5.0
"""After SIGTERM to the group, how long to wait before SIGKILL."""

_ACTIVE: set[int] = set()
"""Process groups started by :func:`run_bounded` that are still running."""
_ACTIVE_LOCK = threading.Lock()


def kill_active_groups() -> int:
    """SIGKILL every process group :func:`run_bounded` started and that still runs (on Ctrl-C). Returns how many."""
    with _ACTIVE_LOCK:
        groups = list(_ACTIVE)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    return len(groups)


@dataclass(frozen=True)
class ProcResult:
    exit_code: int | None
    """None when the process was killed at the timeout."""
    timed_out: bool
    duration_s: float


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; children may linger in the group, so always finish with SIGKILL.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        return


def run_bounded(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    log_path: Path,
) -> ProcResult:
    """Run ``cmd`` in its own session, output to ``log_path``, stdin closed.

    On timeout the whole process group gets SIGTERM, then SIGKILL; the result says so.
    Raises OSError when the command cannot be started (e.g. the interpreter is missing).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # the target's own command, by design
            list(cmd),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with _ACTIVE_LOCK:
            _ACTIVE.add(proc.pid)
        try:
            code: int | None = proc.wait(timeout=timeout_s)
            timed_out = False
            # The suite is done, but it may have left background children in its group.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            code, timed_out = None, True
        except BaseException:
            _kill_group(proc)
            raise
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE.discard(proc.pid)
    return ProcResult(exit_code=code, timed_out=timed_out, duration_s=time.monotonic() - start)


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour and cursor codes (test runners colour their output)."""
    return ANSI_ESCAPE.sub("", text)


def tail(path: Path, lines: int = 40, max_bytes: int = 16_384) -> str:
    """The last ``lines`` lines of a (possibly huge) log file, decoded leniently."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except OSError:
        return ""
    return "\n".join(strip_ansi(data.decode("utf-8", errors="replace")).splitlines()[-lines:])
