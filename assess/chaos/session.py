"""One experiment's service session: start the target's service, watch it, signal it, limit it.

The session lives in the Chaos Toolkit process (``chaos run``), where :mod:`assess.chaos.activities`
reaches it. It only ever signals processes it started itself (each in its own session, so a kill
reaches the service's children too), and it records every process it starts in a file so that the
runner can clean up after a ``chaos run`` that had to be killed.

The service runs under the reaper (:mod:`assess._spawn`), which is not in the service's process group:
signals and limits meant for the service reach the service, and when the service ends, however it ends,
the reaper kills whatever it left running (a daemon that double-forked into a session of its own included)
before :meth:`Session.wait_exit` returns. The service sees only the environment :func:`assess._sandbox.allowed_env`
allows, the limits of :class:`assess._sandbox.Limits`, and a private ``TMPDIR`` when the runner made one.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess._proc import BoundedOutput, start_logged, tail
from assess._sandbox import DEFAULT_FILE_SIZE_LIMIT, DEFAULT_MEMORY_LIMIT, TEMP_ENV, Limits, allowed_env
from assess._spawn import Started
from assess.chaos.service import DEPENDENCY_PATH, HOST, ServiceSpec, request

SESSION_ENV = "ASSESS_CHAOS_SESSION"
"""Environment variable naming the session file the runner wrote for ``chaos run``."""
POLL_S = 0.05
LOG_TAIL_BYTES = 2000


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
    pass_env: tuple[str, ...] = ()
    """Variables of this process's environment the service gets besides the allowed ones (``--pass-env``);
    names only: their values are never written to the session file."""
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT
    """The service's private writable memory (RLIMIT_DATA, see :class:`assess._sandbox.Limits`); None: none."""
    file_size_limit: int | None = DEFAULT_FILE_SIZE_LIMIT
    """The service's largest file (RLIMIT_FSIZE); ``disk-exhaustion`` lowers it further, then lifts it back here."""
    tmp_dir: str = ""
    """The service's private ``TMPDIR`` (made and removed by the runner); empty: the allowed ``TMPDIR``, if any."""

    def write(self, path: Path) -> None:
        data = {**self.__dict__, "spec": self.spec.to_json()}
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> SessionConfig:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{**data, "spec": ServiceSpec.from_json(data["spec"]), "pass_env": tuple(data.get("pass_env", ()))})

    def _values(self) -> dict[str, str]:
        return {
            "python": self.python, "host": HOST, "port": str(self.port), "data_dir": self.data_dir,
            "dependency_url": f"http://{HOST}:{self.dependency_port}{DEPENDENCY_PATH}",
        }  # fmt: skip

    def command(self) -> list[str]:
        return [arg.format_map(self._values()) for arg in self.spec.command]

    def environment(self) -> dict[str, str]:
        """The service's environment: the allowed part of ours and the ``pass_env`` variables, then the
        spec's ``env`` (the target's literal values, placeholders filled: they can name no variable of ours)."""
        env = {k: v.format_map(self._values()) for k, v in self.spec.env.items()}
        temp = dict.fromkeys(TEMP_ENV, self.tmp_dir) if self.tmp_dir else {}
        own = {**allowed_env(self.pass_env), **temp, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        return {**own, **env}

    def limits(self) -> Limits:
        return Limits(memory=self.memory_limit, file_size=self.file_size_limit)


@dataclass
class Session:
    config: SessionConfig
    proc: subprocess.Popen[bytes] | None = None
    """The service's reaper, whose exit status is the service's (it exits once the service has ended and what
    the service left running is killed)."""
    pid: int | None = None
    """The service's own process id: it leads its own session and process group."""
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
    _started: Started | None = field(default=None, repr=False)

    @property
    def port(self) -> int:
        return self.config.port

    @property
    def spec(self) -> ServiceSpec:
        return self.config.spec

    # --- process control ----------------------------------------------------------------------

    def start(self) -> int:
        """Start the service in its own session under the reaper, output to ``service-N.log`` (bounded: see
        :class:`assess._proc.BoundedOutput`); returns its pid. Raises OSError when it cannot be started."""
        self._end_output()  # the previous start's: that process is gone (stopped, killed, or it exited)
        self.starts += 1
        self._started, self._output = start_logged(  # the target's own command, from its config
            self.config.command(),
            cwd=self.config.target,
            env=self.config.environment(),
            stdin=subprocess.DEVNULL,
            log_path=Path(self.config.log_dir) / f"service-{self.starts}.log",
            limits=self.config.limits(),
        )
        self.proc, self.pid = self._started.proc, self._started.pid
        with Path(self.config.pids_file).open("a", encoding="utf-8") as pids:
            pids.write(f"{self.pid}\n")
        return self.pid

    def _end_output(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None
        if self._started is not None:
            self._started.close_status()

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
        if not self.alive() or self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(self.pid, sig)  # the pid leads its own group: the reaper starts it in its own session
            else:
                os.kill(self.pid, sig)

    def wait_exit(self, timeout: float) -> int | None:
        """The exit code once the process ends within ``timeout`` (and the reaper has killed what it left
        running), else None."""
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL to the group after ``grace_s``; once the service is gone, the reaper has
        killed what it left running (double-forked daemons included)."""
        if self._started is None:
            return
        if self.alive():
            self.send(signal.SIGTERM, group=False)
            if self.wait_exit(grace_s) is None:
                self._started.kill()
        self._end_output()

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the service printed (its latest start)."""
        return tail(Path(self.config.log_dir) / f"service-{self.starts}.log", lines, LOG_TAIL_BYTES).strip()

    # --- resource limits ----------------------------------------------------------------------

    def limit(self, which: int, soft: int) -> None:
        """Lower the running service's soft limit ``which`` (RLIMIT_FSIZE, RLIMIT_AS) to ``soft`` (never above
        the hard limit, which the session's own limits set)."""
        if self.pid is None or not self.alive():
            return
        _, hard = resource.prlimit(self.pid, which)
        resource.prlimit(self.pid, which, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))

    def unlimit(self, which: int) -> None:
        """Raise the service's soft limit ``which`` back to its hard limit (the session's own limit, or none)."""
        if self.pid is None or not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            _, hard = resource.prlimit(self.pid, which)
            resource.prlimit(self.pid, which, (hard, hard))

    def virtual_memory(self) -> int | None:
        """The service's VmSize in bytes, from /proc."""
        if self.pid is None:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text(encoding="utf-8")
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
