"""One experiment's service session: start the target's service, watch it, signal it, limit it.

The session lives in the Chaos Toolkit process (``chaos run``), where :mod:`assess.chaos.activities`
reaches it. It only ever signals processes it started itself (each in its own session, so a kill
reaches the service's children too), and it records every process it starts in a file so that the
runner can clean up after a ``chaos run`` that had to be killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess._proc import BoundedOutput, start_logged, tail
from assess.chaos.service import DEPENDENCY_PATH, HOST, ServiceSpec, request

SESSION_ENV = "ASSESS_CHAOS_SESSION"
"""Environment variable naming the session file the runner wrote for ``chaos run``."""
POLL_S = 0.05
LOG_TAIL_BYTES = 2000
# why: with RLIMIT_FSIZE a write past the limit raises SIGXFSZ, whose default action kills the
# process; ignored (inherited through exec), the write fails with EFBIG, as a full disk fails it.
_EXEC_SHIM = (
    "import os, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); os.execvp(sys.argv[1], sys.argv[1:])"
)


@dataclass(frozen=True)
class SessionConfig:
    """What the runner hands to ``chaos run`` (as JSON in the file named by :data:`SESSION_ENV`)."""

    spec: ServiceSpec
    target: str
    """The service's working folder."""
    python: str
    """Interpreter for ``{python}`` in the command."""
    port: int
    data_dir: str
    log_dir: str
    pids_file: str
    """Every pid this session starts is appended here, one per line."""
    dependency_port: int = 0
    """Loopback port of the fault proxy in front of the dependency sink; 0: no dependency."""

    def write(self, path: Path) -> None:
        data = {**self.__dict__, "spec": self.spec.to_json()}
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> SessionConfig:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{**data, "spec": ServiceSpec.from_json(data["spec"])})

    def _values(self) -> dict[str, str]:
        return {
            "python": self.python, "host": HOST, "port": str(self.port), "data_dir": self.data_dir,
            "dependency_url": f"http://{HOST}:{self.dependency_port}{DEPENDENCY_PATH}",
        }  # fmt: skip

    def command(self) -> list[str]:
        return [arg.format_map(self._values()) for arg in self.spec.command]

    def environment(self) -> dict[str, str]:
        env = {k: v.format_map(self._values()) for k, v in self.spec.env.items()}
        return {**os.environ, "PYTHONUNBUFFERED": "1", **env}


@dataclass
class Session:
    config: SessionConfig
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    fault_at: float | None = None
    """When the last fault was injected (monotonic), for recovery times."""
    acknowledged: list[str] = field(default_factory=list)
    """Ids of records the service acknowledged writing."""
    failures: list[str] = field(default_factory=list)
    """Client requests that failed when they should not have (transport error, 5xx, over budget)."""
    terminations: list[dict[str, Any]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    """Per-experiment objects (the fault proxy)."""
    _output: BoundedOutput | None = field(default=None, repr=False)
    """The running service's output, copied to its log until the service has ended."""

    @property
    def port(self) -> int:
        return self.config.port

    @property
    def spec(self) -> ServiceSpec:
        return self.config.spec

    # --- process control ----------------------------------------------------------------------

    def start(self) -> int:
        """Start the service in its own session, output to ``service-N.log`` (bounded: see
        :class:`assess._proc.BoundedOutput`); returns its pid. Raises OSError when it cannot be started."""
        self._end_output()  # the previous start's: that process is gone (stopped, killed, or it exited)
        self.starts += 1
        self.proc, self._output = start_logged(  # the target's own command, from its config
            [sys.executable, "-c", _EXEC_SHIM, *self.config.command()],
            cwd=self.config.target,
            env=self.config.environment(),
            stdin=subprocess.DEVNULL,
            log_path=Path(self.config.log_dir) / f"service-{self.starts}.log",
        )
        with Path(self.config.pids_file).open("a", encoding="utf-8") as pids:
            pids.write(f"{self.proc.pid}\n")
        return self.proc.pid

    def _end_output(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def healthy(self, timeout: float = 1.0) -> bool:
        return self.alive() and request(self.port, "GET", self.spec.health, timeout=timeout).ok

    def wait_healthy(self, timeout: float | None = None) -> bool:
        """Poll the health path until it answers 2xx, the process dies, or ``timeout`` passes."""
        deadline = time.monotonic() + (self.spec.startup_timeout_s if timeout is None else timeout)
        while time.monotonic() < deadline:
            if not self.alive():
                return False
            if request(self.port, "GET", self.spec.health, timeout=0.5).ok:
                return True
            time.sleep(POLL_S)
        return False

    def send(self, sig: signal.Signals, *, group: bool) -> None:
        """Signal our service (its whole process group with ``group``); never any other process."""
        if not self.alive() or self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(self.proc.pid, sig)  # the pid leads its own group: start_new_session
            else:
                os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout: float) -> int | None:
        """The exit code once the process ends within ``timeout``, else None."""
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL to the group after ``grace_s``; reap it."""
        if self.proc is None:
            return
        if self.alive():
            self.send(signal.SIGTERM, group=False)
            if self.wait_exit(grace_s) is None:
                self.send(signal.SIGKILL, group=True)
                self.wait_exit(5.0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # children the service left behind
        self._end_output()

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the service printed (its latest start)."""
        return tail(Path(self.config.log_dir) / f"service-{self.starts}.log", lines, LOG_TAIL_BYTES).strip()

    # --- resource limits ----------------------------------------------------------------------

    def limit(self, which: int, soft: int) -> None:
        """Lower the running service's soft limit ``which`` (RLIMIT_FSIZE, RLIMIT_AS) to ``soft``."""
        if self.proc is None or not self.alive():
            return
        _, hard = resource.prlimit(self.proc.pid, which)
        resource.prlimit(self.proc.pid, which, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))

    def unlimit(self, which: int) -> None:
        if self.proc is None or not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            _, hard = resource.prlimit(self.proc.pid, which)
            resource.prlimit(self.proc.pid, which, (hard, hard))

    def virtual_memory(self) -> int | None:
        """The service's VmSize in bytes, from /proc."""
        if self.proc is None:
            return None
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text(encoding="utf-8")
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
        return None


def kill_recorded(pids_file: Path) -> int:
    """SIGKILL the process groups of recorded pids that still lead their own session; returns how many.

    Used by the runner after a ``chaos run`` it had to kill: a pid is only touched while it is still
    the leader of its own session, as the processes we started are, so a reused pid is left alone.
    """
    killed = 0
    try:
        lines = pids_file.read_text(encoding="utf-8").split()
    except OSError:
        return 0
    for pid in {int(p) for p in lines if p.isdigit()}:
        try:
            if os.getsid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
                killed += 1
        except (ProcessLookupError, PermissionError):
            continue
    return killed


def measured(**values: float | int | None) -> dict[str, Mapping[str, float | int | None]]:
    """An activity's output with measurements the ingest picks up (see ``ingest.MEASUREMENT_KEY``)."""
    return {"assess": values}
