"""Start an untrusted command under the reaper (:mod:`assess._reaper`), signal it, and end it.

The reaper and the command each lead a session of their own: signals meant for the command (a test
run's timeout, a chaos experiment's SIGTERM or SIGKILL) go to the command's process group, never to the
reaper, which outlives the command only for the moment it takes to kill what the command left running.
Starting the reaper costs about 20 ms (one bare interpreter) before the command starts.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from assess._sandbox import Limits

REAPER = Path(__file__).with_name("_reaper.py")
START_TIMEOUT_S = 60.0
"""How long the reaper may take to say it started the command (an interpreter's start on a loaded machine)."""
KILL_WAIT_S = 5.0
"""After SIGKILL, how long to wait for the reaper to sweep and exit before it is killed too."""

Stream = int | IO[Any] | None


@dataclass
class Started:
    """A command assess started, under the reaper or (for assess's own long-lived helpers) directly."""

    proc: subprocess.Popen[bytes]
    """The process assess started: the reaper, whose exit status is the command's; or the command itself."""
    pid: int
    """The command's process id. It leads a session of its own, so its process group has the same id."""
    status_fd: int | None = None
    """The reaper's status pipe (see :mod:`assess._reaper`), read to its end once the reaper is gone."""
    _said: bytes = field(default=b"", repr=False)

    @property
    def reaped(self) -> bool:
        return self.proc.pid != self.pid

    def signal_group(self, sig: int) -> None:
        """Send ``sig`` to the command's process group (the processes that left it are the reaper's business)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def wait(self, timeout_s: float | None) -> int | None:
        """The command's exit status once it (and, under the reaper, all it left) has ended; None after
        ``timeout_s``."""
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def end(self, grace_s: float) -> None:
        """SIGTERM to the command's group; what still runs after ``grace_s`` is killed (:meth:`kill`)."""
        self.signal_group(signal.SIGTERM)
        if self.wait(grace_s) is None:
            self.kill()
        if not self.reaped:
            self.signal_group(signal.SIGKILL)  # the leader is gone; children may linger in its group

    def kill_now(self) -> None:
        """SIGKILL the command's group and have the reaper kill the rest at once (SIGTERM is its "now");
        without waiting (an interrupt: the reaper finishes its sweep even if assess exits first)."""
        self.signal_group(signal.SIGKILL)
        if self.reaped:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """:meth:`kill_now`, then wait for the command and the reaper to be gone."""
        self.kill_now()
        if self.wait(KILL_WAIT_S) is None:
            self.proc.kill()  # a reaper stuck for seconds: what it would have swept is left to its parent
            self.wait(KILL_WAIT_S)

    def strays(self) -> int | None:
        """Once the reaper has exited: how many processes still ran when the command ended (all killed);
        None for a command started directly, or when the reaper did not say."""
        self.close_status()
        words = self._said.split()
        return int(words[-1]) if len(words) >= 2 and words[-2] == b"swept" and words[-1].isdigit() else None

    def close_status(self) -> None:
        """Read what the reaper said to the end (when it has exited) and close the status pipe."""
        if self.status_fd is None:
            return
        if self.proc.poll() is not None:
            with contextlib.suppress(OSError):
                while select.select([self.status_fd], [], [], 0)[0] and (chunk := os.read(self.status_fd, 4096)):
                    self._said += chunk
        os.close(self.status_fd)
        self.status_fd = None

    def _first_line(self) -> bytes:
        """The reaper's first line (``pid N`` or ``error ...``); empty when it exits first or takes over
        :data:`START_TIMEOUT_S`."""
        assert self.status_fd is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while b"\n" not in self._said and time.monotonic() < deadline:
            if select.select([self.status_fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                chunk = os.read(self.status_fd, 4096)
                if not chunk:
                    break
                self._said += chunk
        line, _, self._said = self._said.partition(b"\n")
        return line


def reaper_command(cmd: Sequence[str], status_fd: int, limits: Limits | None, env: Mapping[str, str]) -> list[str]:
    """The command line that runs ``cmd`` under the reaper, with ``limits`` (None: only core files off)."""
    argv = [sys.executable, "-I", "-S", str(REAPER), "--status-fd", str(status_fd)]
    argv += limits.reaper_args() if limits else []
    argv += [] if "LC_CTYPE" in env else ["--no-lc-ctype"]  # Python's locale coercion would add it
    return [*argv, "--", *cmd]


def spawn(
    cmd: Sequence[str], *, cwd: str | Path, env: Mapping[str, str], stdin: Stream, stdout: Stream, stderr: Stream,
    limits: Limits | None,
) -> Started:  # fmt: skip
    """Start ``cmd`` under the reaper, in a session of its own, with ``env`` exactly and ``limits``.

    Returns once the command runs. Raises OSError when it cannot be started (the command or ``cwd`` is
    missing, not executable, or the reaper failed); nothing is left running then.
    """
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(  # the target's own command, by design
            reaper_command(cmd, write_end, limits, env), cwd=cwd, env=dict(env), stdin=stdin, stdout=stdout,
            stderr=stderr, pass_fds=(write_end,), start_new_session=True,
        )  # fmt: skip
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    started = Started(proc, proc.pid, read_end)
    try:
        started.pid = _command_pid(started)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)  # if it did start the command, the reaper ends it at once
        started.wait(KILL_WAIT_S)
        started.close_status()
        raise
    return started


def _command_pid(started: Started) -> int:
    """The command's pid from the reaper's first line. Raises OSError with the reason it did not start."""
    line = started._first_line().decode(errors="replace")
    word, _, rest = line.partition(" ")
    if word == "pid" and rest.isdigit():
        return int(rest)
    if word == "error":
        number, _, message = rest.partition(" ")
        raise OSError(int(number) if number.isdigit() else 0, message)
    raise OSError(f"the reaper did not start the command (it said {line!r}, exit code {started.proc.poll()})")


def start_direct(
    cmd: Sequence[str], *, cwd: str | Path, env: Mapping[str, str], stdin: Stream, stdout: Stream, stderr: Stream
) -> Started:
    """Start one of assess's own commands in a session of its own, without the reaper (its notebook runners,
    which end their kernels themselves). Raises OSError when it cannot be started."""
    proc = subprocess.Popen(
        list(cmd), cwd=cwd, env=dict(env), stdin=stdin, stdout=stdout, stderr=stderr, start_new_session=True
    )
    return Started(proc, proc.pid)
