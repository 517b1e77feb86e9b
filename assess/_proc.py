"""Run an untrusted command with a time limit, under the reaper (:mod:`assess._spawn`): its process group is
signalled when it overruns, and whatever it left running, in its group or escaped from it, is killed when it ends."""

from __future__ import annotations

import collections
import contextlib
import os
import re
import select
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from assess._sandbox import Limits
from assess._spawn import Started, spawn, start_direct

KILL_GRACE_S = 5.0
"""After SIGTERM to the group, how long to wait before SIGKILL."""

_ACTIVE: dict[int, Started] = {}
"""Commands started by :func:`run_bounded` and :class:`Supervised` that are still running, by the id of the
process assess started (the reaper, or the command)."""
_ACTIVE_LOCK = threading.Lock()


def kill_active_groups() -> int:
    """SIGKILL the process group of every command :func:`run_bounded` or :class:`Supervised` started and that
    still runs (on Ctrl-C), and have each reaper kill what left the group, without waiting. Returns how many."""
    with _ACTIVE_LOCK:
        commands = list(_ACTIVE.values())
    for started in commands:
        started.kill_now()
    return len(commands)


GROUPS_DIR_ENV = "ASSESS_GROUPS_DIR"
"""When set, each process group :func:`run_bounded` starts is recorded in this folder while it runs, and so is
each kernel a notebook runner starts (``assess._execute``). The pipeline sets it for its notebooks: a kernel lives
in a session of its own, and so does the test suite it starts, so when a run is interrupted both would outlive
it; the pipeline kills what is recorded instead. The group recorded is the command's: once it is killed, the
command's reaper kills what had left the group."""


def _start_time(pid: int) -> str | None:
    """The process's start time (from ``/proc``), which tells it from a later process given the same id."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def record_group(pid: int) -> Path | None:
    """Record the process group ``pid`` leads in the :data:`GROUPS_DIR_ENV` folder, if that is set; the record."""
    folder = os.environ.get(GROUPS_DIR_ENV)
    if not folder:
        return None
    record = Path(folder) / str(pid)
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(_start_time(pid) or "", encoding="utf-8")
    except OSError:
        return None
    return record


def kill_recorded_groups(folder: Path) -> int:
    """SIGKILL the process groups recorded in ``folder`` (see :data:`GROUPS_DIR_ENV`). Returns how many.

    A group whose leader's id now belongs to a younger process is left alone: the kernel does not reuse
    an id while a group of that id has members, so that group is gone. The caller's own group is never
    killed, whatever a record says.
    """
    try:
        records = [r for r in folder.iterdir() if r.name.isdigit()]
    except OSError:
        return 0
    killed = 0
    own = os.getpgid(0)
    for record in records:
        pid = int(record.name)
        if pid == own:  # never our own group, whatever a record says
            continue
        try:
            started = record.read_text(encoding="utf-8")
        except OSError:
            continue
        now = _start_time(pid)
        if now is not None and started and now != started:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
            killed += 1
    return killed


@dataclass(frozen=True)
class ProcResult:
    exit_code: int | None
    """None when the process was killed at the timeout."""
    timed_out: bool
    duration_s: float
    strays: int | None = None
    """Processes still running when the command ended (in its group or escaped from it), all killed; None:
    the reaper did not say (it was killed itself)."""


def run_bounded(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    log_path: Path,
    limits: Limits | None = None,
) -> ProcResult:
    """Run ``cmd`` under the reaper in its own session, with ``env`` exactly and ``limits`` (None: only core
    files off), output to ``log_path``, stdin closed.

    On timeout the command's process group gets SIGTERM, then SIGKILL; the result says so. When the command
    ends, whatever it left running is killed, processes that left its group or session included. The log is
    bounded (see :class:`_BoundedLog`), however much the command writes.
    Raises OSError when the command cannot be started (e.g. the interpreter is missing).
    """
    start = time.monotonic()
    started, output = start_logged(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, log_path=log_path, limits=limits)
    try:
        code, timed_out = _wait(started, timeout_s)
    finally:
        output.close()
    duration = time.monotonic() - start
    return ProcResult(exit_code=code, timed_out=timed_out, duration_s=duration, strays=started.strays())


def _wait(started: Started, timeout_s: float) -> tuple[int | None, bool]:
    """(exit code, timed out): wait for the command and, under the reaper, for the end of what it left."""
    with _ACTIVE_LOCK:
        _ACTIVE[started.proc.pid] = started
    record = record_group(started.pid)
    try:
        code = started.wait(timeout_s)
        if code is None:
            started.end(KILL_GRACE_S)
        return code, code is None
    except BaseException:
        started.end(KILL_GRACE_S)
        raise
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.pop(started.proc.pid, None)
        if record is not None:
            record.unlink(missing_ok=True)


MAX_LOG_HEAD_BYTES = 32 * 1024 * 1024
"""A command's log keeps this much of the start of its output ..."""
MAX_LOG_TAIL_BYTES = 4 * 1024 * 1024
"""... and this much of the end (where test runners put their summary); what lies between is counted, not kept."""
DRAIN_AFTER_EXIT_S = 2.0
"""After the command has ended, how long to keep reading output from processes that still hold its output: the
reaper kills them all, so only one it may not signal (or a command started without it) is waited for this long."""


class _BoundedLog:
    """A log file that keeps the first and last bytes written to it, and says how many it left out."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.head = 0
        self.tail: collections.deque[bytes] = collections.deque()
        self.tail_size = 0
        self.left_out = 0

    def write(self, data: bytes) -> None:
        room = MAX_LOG_HEAD_BYTES - self.head
        if room > 0:
            with contextlib.suppress(OSError):  # a full disk loses log lines; the command must still be drained
                self.file.write(data[:room])
                self.file.flush()  # readable while the command runs (a service's last lines, a runner's log)
            self.head += min(room, len(data))
            data = data[room:]
        if data:
            self.tail.append(data)
            self.tail_size += len(data)
            while self.tail_size - len(self.tail[0]) >= MAX_LOG_TAIL_BYTES:
                self.left_out += len(first := self.tail.popleft())
                self.tail_size -= len(first)

    def close(self) -> None:
        """Write the kept end of the output, after a line saying how much was left out before it."""
        extra = self.tail_size - MAX_LOG_TAIL_BYTES
        if extra > 0:
            self.tail[0] = self.tail[0][extra:]
            self.left_out += extra
        with contextlib.suppress(OSError):
            if self.left_out:
                self.file.write(f"\n[assess: {self.left_out} bytes of output left out here]\n".encode())
            self.file.writelines(self.tail)
        self.tail.clear()


def _drain(fd: int, log: _BoundedLog, stop: threading.Event) -> None:
    """Copy the command's output from ``fd`` to ``log`` until it ends, or shortly after ``stop`` is set."""
    deadline: float | None = None
    while True:
        if stop.is_set() and deadline is None:
            deadline = time.monotonic() + DRAIN_AFTER_EXIT_S
        if deadline is not None and time.monotonic() > deadline:
            return
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        log.write(chunk)


class BoundedOutput:
    """A command's output, copied from a pipe to a bounded log file (see :class:`_BoundedLog`) by a thread."""

    def __init__(self, log_path: Path) -> None:
        """Open ``log_path`` and the pipe. Raises OSError when either cannot be made."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._file = log_path.open("wb")
        self._log = _BoundedLog(self._file)
        try:
            self._read_fd, self.write_fd = os.pipe()
        except BaseException:
            self._file.close()
            raise
        self._stop = threading.Event()
        self._drain = threading.Thread(target=_drain, args=(self._read_fd, self._log, self._stop), daemon=True)
        self._writing_end_open = True
        self._closed = False

    def started(self) -> None:
        """The command holds the pipe's writing end now: close ours (so the copy ends with the command's
        output) and start copying."""
        self._close_writing_end()
        self._drain.start()

    def _close_writing_end(self) -> None:
        if self._writing_end_open:
            self._writing_end_open = False
            os.close(self.write_fd)

    def close(self) -> None:
        """Stop copying (reading for at most ``DRAIN_AFTER_EXIT_S`` more while the output has not ended) and
        write the kept end of the output. Call it once the command has ended; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        self._close_writing_end()  # still ours when the command did not start
        if self._drain.ident is not None:
            self._stop.set()
            self._drain.join()
        os.close(self._read_fd)
        self._log.close()
        self._file.close()


def start_logged(
    cmd: Sequence[str], *, cwd: str | Path, env: Mapping[str, str], stdin: int, log_path: Path,
    limits: Limits | None = None, reaped: bool = True,
) -> tuple[Started, BoundedOutput]:  # fmt: skip
    """Start ``cmd`` in its own session, stdout and stderr to a bounded log at ``log_path``; under the reaper
    with ``limits`` (see :func:`assess._spawn.spawn`), or directly when not ``reaped`` (assess's own commands).

    ``stdin`` is ``subprocess.DEVNULL`` or ``subprocess.PIPE``. Returns the command and its output, which
    the caller closes once the command has ended. Raises OSError when the command cannot be started (the
    log and the pipe are closed then).
    """
    output = BoundedOutput(log_path)
    streams: dict[str, int] = {"stdin": stdin, "stdout": output.write_fd, "stderr": subprocess.STDOUT}
    try:
        if reaped:
            started = spawn(cmd, cwd=cwd, env=env, limits=limits, **streams)
        else:
            started = start_direct(cmd, cwd=cwd, env=env, **streams)
    except BaseException:
        output.close()
        raise
    output.started()
    return started, output


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


class Supervised:
    """A long-lived command in its own session that takes lines on stdin, output to a bounded log.

    Like :func:`run_bounded`'s commands, it is counted among the active groups (so an interrupt kills
    it) and recorded in ``$ASSESS_GROUPS_DIR``. :meth:`kill` ends the whole group; :meth:`close` asks
    it to finish (closes its stdin) and kills what is left after ``grace_s``. It is one of assess's own
    commands (a notebook runner), so it runs without the reaper.
    Raises OSError when the command cannot be started.
    """

    def __init__(self, cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], log_path: Path) -> None:
        self._started, self._output = start_logged(
            cmd, cwd=cwd, env=env, stdin=subprocess.PIPE, log_path=log_path, reaped=False
        )
        self.proc = self._started.proc
        with _ACTIVE_LOCK:
            _ACTIVE[self.proc.pid] = self._started
        self._record = record_group(self.proc.pid)
        self._closed = False

    def send(self, line: str) -> bool:
        """Write ``line`` to the command's stdin; False when it is gone."""
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self._started.end(KILL_GRACE_S)
        self._finish()

    def close(self, grace_s: float = 10.0) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=grace_s)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # what it left behind in its group
        self._finish()

    def _finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        with _ACTIVE_LOCK:
            _ACTIVE.pop(self.proc.pid, None)
        if self._record is not None:
            self._record.unlink(missing_ok=True)
        self._output.close()
