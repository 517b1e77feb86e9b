"""Run the bundled Chaos Toolkit experiments against a target's service.

Each experiment runs as its own ``chaos run`` subprocess (its own process group, a time limit, the
whole group killed when it is exceeded), with a fresh service, a free loopback port and an empty
data folder, all in ``out_dir/<experiment>-<trial>/``. The journal Chaos Toolkit writes there is
the result; the chaos collector reads it like any other journal.

``chaos run`` runs under the reaper (:mod:`assess._spawn`), so when it ends, every process it left (a
service it could not stop, what the service double-forked) is killed. It gets the allowed environment
(:func:`assess._sandbox.allowed_env`), the ``--pass-env`` variables (for the service, which gets them from
it) and ``PYTHONPATH`` (so that it imports this assess); the service gets its own private ``TMPDIR``,
removed once the experiment is over, and the :class:`assess._sandbox.Limits` given.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assess._proc import run_bounded
from assess._sandbox import Limits, PrivateTemp, allowed_env
from assess.chaos.service import ServiceSpec, free_port
from assess.chaos.session import SESSION_ENV, Session, SessionConfig, kill_recorded

EXPERIMENTS_DIR = Path(__file__).with_name("experiments")
DEFAULT_TIMEOUT_S = 180.0
"""Longest one ``chaos run`` may take; the bundled experiments need well under a minute."""


@dataclass(frozen=True)
class ExperimentRun:
    name: str
    trial: int
    journal: Path | None
    """The journal Chaos Toolkit wrote; None when it wrote none (see ``message``)."""
    message: str | None = None
    """Why the run did not produce a journal, or was cut short."""
    seconds: float = 0.0


@dataclass(frozen=True)
class ChaosRun:
    runs: tuple[ExperimentRun, ...]
    skipped: tuple[str, ...] = ()
    """Experiments not run, each with the reason."""
    error: str | None = None
    """Why nothing could run (the service did not start), or None."""


def bundled_experiments() -> dict[str, Path]:
    """Name -> file of every experiment shipped in the package, sorted by name."""
    return {p.stem: p for p in sorted(EXPERIMENTS_DIR.glob("*.json"))}


def requirements(experiment: Path) -> tuple[str, ...]:
    """Config keys the experiment needs (``write``, ``read`` ...), from its ``assess`` extension."""
    document = json.loads(experiment.read_text(encoding="utf-8"))
    for ext in document.get("extensions") or ():
        if ext.get("name") == "assess":
            return tuple(ext.get("requires") or ())
    return ()


def _missing(spec: ServiceSpec, needs: Sequence[str]) -> list[str]:
    return [key for key in needs if not spec.has(key)]


@dataclass(frozen=True)
class Sandbox:
    """What the service may see and use (see :mod:`assess._sandbox`)."""

    limits: Limits = field(default_factory=Limits)
    pass_env: tuple[str, ...] = ()
    """Variables of assess's environment the service gets besides the allowed ones (``--pass-env``)."""


def _session_config(spec: ServiceSpec, target: Path, python: str, work: Path, sandbox: Sandbox,
                    tmp: PrivateTemp) -> SessionConfig:  # fmt: skip
    data_dir, log_dir = work / "data", work / "logs"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    return SessionConfig(
        spec=spec,
        target=str(target),
        python=python,
        port=free_port(),
        data_dir=str(data_dir),
        log_dir=str(log_dir),
        pids_file=str(work / "pids"),
        dependency_port=free_port() if spec.uses_dependency else 0,
        pass_env=sandbox.pass_env,
        memory_limit=sandbox.limits.memory,
        file_size_limit=sandbox.limits.file_size,
        tmp_dir=str(tmp.path),
    )


def smoke_test(spec: ServiceSpec, target: Path, python: str, work: Path, sandbox: Sandbox = Sandbox()) -> str | None:
    """Start the service once and wait for it to be healthy; the reason it failed, or None."""
    with PrivateTemp("assess-chaos-tmp-") as tmp:
        return _smoke_test(Session(_session_config(spec, target, python, work, sandbox, tmp)))


def _smoke_test(session: Session) -> str | None:
    spec = session.spec
    try:
        session.start()
        if session.wait_healthy():
            return None
        state = "exited" if not session.alive() else f"was not healthy within {spec.startup_timeout_s:g} s"
    except OSError as err:
        return f"the service could not be started: {err}"
    finally:
        session.stop()
    last = session.log_tail().splitlines()  # once stopped: its log then ends with what it printed last
    output = f"; its last output: {' | '.join(last)}" if last else "; it printed nothing"
    return f"the service ({' '.join(session.config.command())}) {state} at GET {spec.health}{output}"


def _chaos_run_env(work: Path, sandbox: Sandbox) -> dict[str, str]:
    """``chaos run``'s environment: the allowed variables, the ``--pass-env`` ones (the session hands them on
    to the service), ``PYTHONPATH`` so that it imports this assess, and the session file."""
    own = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    return {**allowed_env(sandbox.pass_env), **own, SESSION_ENV: str(work / "session.json"),
            "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip


def run_one(
    experiment: Path, spec: ServiceSpec, target: Path, python: str, work: Path, timeout_s: float,
    sandbox: Sandbox = Sandbox(),
) -> tuple[Path | None, str | None]:  # fmt: skip
    """One ``chaos run`` of ``experiment``; (journal, message)."""
    journal = work / "journal.json"
    command = [
        sys.executable, "-m", "chaostoolkit", "--no-version-check", "--log-file", str(work / "chaostoolkit.log"),
        "run", str(experiment), "--journal-path", str(journal), "--rollback-strategy", "always",
    ]  # fmt: skip
    with PrivateTemp("assess-chaos-tmp-") as tmp:
        _session_config(spec, target, python, work, sandbox, tmp).write(work / "session.json")
        try:
            result = run_bounded(command, cwd=work, env=_chaos_run_env(work, sandbox), timeout_s=timeout_s,
                                 log_path=work / "chaostoolkit.out")  # fmt: skip
        finally:
            kill_recorded(work / "pids")  # services a killed ``chaos run`` left behind, should its reaper be gone
    message = f"chaos run exceeded {timeout_s:g} s and was killed" if result.timed_out else None
    if not journal.is_file():
        return None, message or f"chaos run wrote no journal (exit {result.exit_code}; see {work / 'chaostoolkit.log'})"
    return journal, message


def run_chaos(
    target: Path,
    spec: ServiceSpec,
    out_dir: Path,
    *,
    python: str | None = None,
    trials: int = 1,
    only: Sequence[str] = (),
    timeout_s: float = DEFAULT_TIMEOUT_S,
    progress: Callable[[str], None] | None = None,
    sandbox: Sandbox = Sandbox(),
) -> ChaosRun:
    """Run the bundled experiments (or ``only`` those) ``trials`` times each against ``spec``'s service,
    which sees and may use what ``sandbox`` says."""
    python = python or sys.executable
    experiments = bundled_experiments()
    unknown = [name for name in only if name not in experiments]
    if unknown:
        raise ValueError(f"unknown experiment(s) {', '.join(unknown)}; bundled: {', '.join(experiments)}")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    error = smoke_test(spec, target, python, out_dir / "smoke-test", sandbox)
    if error:
        return ChaosRun(runs=(), error=error)
    runs: list[ExperimentRun] = []
    skipped: list[str] = []
    for name, path in experiments.items():
        if only and name not in only:
            continue
        missing = _missing(spec, requirements(path))
        if missing:
            skipped.append(f"{name}: needs {', '.join(missing)} in {spec.source}")
            continue
        for trial in range(1, trials + 1):
            if progress:
                progress(f"chaos: {name} (trial {trial} of {trials})")
            work = out_dir / f"{name}-{trial}"
            work.mkdir()
            started = time.monotonic()
            journal, message = run_one(path, spec, target, python, work, timeout_s, sandbox)
            runs.append(ExperimentRun(name, trial, journal, message, round(time.monotonic() - started, 2)))
    return ChaosRun(runs=tuple(runs), skipped=tuple(skipped))
