"""How to run the target's tests: which interpreter, which command, and in what environment."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

VENV_DIRS = (".venv", "venv")

_PROBE = (
    "import json, importlib.metadata as m, platform\n"
    "def v(n):\n"
    "    try: return m.version(n)\n"
    "    except Exception: return None\n"
    "print(json.dumps({'python': platform.python_version(), 'pytest': v('pytest'), 'coverage': v('coverage')}))\n"
)

# Variables that would change how the target's tests or coverage run behave under assess.
_SCRUBBED_ENV = (
    "COVERAGE_FILE",
    "COVERAGE_RCFILE",
    "COVERAGE_PROCESS_START",
    "COV_CORE_SOURCE",
    "COV_CORE_CONFIG",
    "COV_CORE_DATAFILE",
    "PYTEST_CURRENT_TEST",
    "PYTEST_XDIST_WORKER",
    "PYTEST_ADDOPTS",
    "ASSESS_GROUPS_DIR",  # assess's own bookkeeping (assess._proc.GROUPS_DIR_ENV), not the target's
)


class TestSetupError(ValueError):
    """The test run cannot be set up; the message says what to change."""

    __test__ = False


@dataclass(frozen=True)
class Interpreter:
    path: Path
    how: str
    """How it was chosen: ``--python``, ``found .venv in the target``, ``the interpreter running assess``."""
    python_version: str
    pytest_version: str | None
    coverage_version: str | None


def find_interpreter(target: Path, explicit: str | None) -> tuple[Path, str]:
    if explicit:
        return Path(explicit), "--python"
    for name in VENV_DIRS:
        candidate = target / name / "bin" / "python"
        if candidate.exists():
            return candidate, f"found {name}/ in the target"
    return Path(sys.executable), "the interpreter running assess"


def probe_interpreter(target: Path, explicit: str | None) -> Interpreter:
    """Find the interpreter for the target's tests and what it has installed. Raises TestSetupError."""
    path, how = find_interpreter(target, explicit)
    try:
        out = subprocess.run([str(path), "-I", "-c", _PROBE], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise TestSetupError(f"cannot run the interpreter {path} ({how}): {err}") from err
    if out.returncode != 0:
        raise TestSetupError(f"the interpreter {path} ({how}) failed: {out.stderr.strip()[-300:]}")
    try:
        info = json.loads(out.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError) as err:
        raise TestSetupError(f"the interpreter {path} ({how}) gave no usable answer") from err
    return Interpreter(path, how, info["python"], info["pytest"], info["coverage"])


@dataclass(frozen=True)
class TestCommand:
    """A test command split into what coverage.py can run: a module (``-m``) or a script, and arguments."""

    __test__ = False

    module: str | None
    script: str | None
    args: tuple[str, ...]
    text: str

    @property
    def is_pytest(self) -> bool:
        return self.module == "pytest"

    def argv(self) -> list[str]:
        """The part after ``python`` (or after ``coverage run``)."""
        return (["-m", self.module] if self.module else [self.script or ""]) + list(self.args)


DEFAULT_TEST_COMMAND = "python -m pytest"
"""pytest also runs unittest-style suites, so it is the default for any Python target."""


def parse_test_command(text: str) -> TestCommand:
    """Split ``text`` into something coverage.py can run. Raises TestSetupError for other commands."""
    try:
        words = shlex.split(text)
    except ValueError as err:
        raise TestSetupError(f"cannot parse the test command {text!r}: {err}") from err
    if not words:
        raise TestSetupError("the test command is empty")
    head, rest = words[0], words[1:]
    if Path(head).name in {"pytest", "py.test"}:
        return TestCommand("pytest", None, tuple(rest), text)
    if Path(head).name.startswith("python"):
        if rest[:1] == ["-m"] and len(rest) > 1:
            return TestCommand(rest[1], None, tuple(rest[2:]), text)
        if rest and not rest[0].startswith("-"):
            return TestCommand(None, rest[0], tuple(rest[1:]), text)
    raise TestSetupError(
        f"cannot run {text!r} under coverage: give a --test-command that starts with "
        "'python -m MODULE', 'python SCRIPT' or 'pytest'"
    )


def pytest_args(junit: Path) -> list[str]:
    """Arguments that keep pytest from writing into the target and make it report per test."""
    return ["-p", "no:cacheprovider", f"--junitxml={junit}", "-o", "junit_family=xunit1"]


def suite_env(interpreter: Path) -> dict[str, str]:
    """The environment for the target's tests: ours, without coverage/pytest steering, no bytecode files."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PATH"] = f"{interpreter.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def snapshot(target: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file under ``target`` except inside ``.git``; cheap change detection."""
    found: dict[str, tuple[int, int]] = {}
    for root, dirs, files in os.walk(target):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = Path(root) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            found[path.relative_to(target).as_posix()] = (st.st_size, st.st_mtime_ns)
    return found


def changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    """Human-readable list of files created, changed or deleted between two snapshots."""
    out = [f"created {p}" for p in sorted(after.keys() - before.keys())]
    out += [f"deleted {p}" for p in sorted(before.keys() - after.keys())]
    out += [f"changed {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return out
