"""How to run the target's tests: which interpreter, which command, and in what environment."""

from __future__ import annotations

import itertools
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from assess.collectors.listing import EXCLUDED_DIRS, WALK_ONLY_EXCLUDED_DIRS

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


MAX_SNAPSHOT_ENTRIES = 200_000
"""The most files and folders one snapshot looks at (as many as the listing keeps files)."""

_NOT_WALKED = EXCLUDED_DIRS | WALK_ONLY_EXCLUDED_DIRS
"""Folders the listing never lists (version control, virtualenvs, caches, dependencies, build output): not the
target's own files, and often most of its tree."""

WalkKey = tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class TreeSnapshot:
    """The files under a target with their (size, modification time in ns), for cheap change detection."""

    files: Mapping[str, tuple[int, int]]
    """Relative path (forward slashes) -> (size, mtime in ns), of each file the walk reached."""
    limit: int = MAX_SNAPSHOT_ENTRIES
    stopped_at: str | None = None
    """The folder (relative, ``.`` for the target) where the walk stopped, having met ``limit``: neither it
    nor what comes after it in the walk's order (see :func:`walk_key`) was looked at. None: the walk ended."""


def walk_key(rel: str) -> WalkKey:
    """Where the file ``rel`` comes in :func:`snapshot`'s walk, comparable with other keys.

    The walk takes a folder's files by name, then each of its subfolders by name, whole. A folder's own
    key (``walk_key(folder + "/")[:-1]``) comes after every file walked before it and before all it holds.
    """
    *folders, name = rel.split("/")
    return (*((1, folder) for folder in folders), (0, name))


def _folder_key(folder: str) -> WalkKey:
    return () if folder == "." else walk_key(folder + "/")[:-1]


def _entries(folder: Path, budget: int) -> list[os.DirEntry[str]] | None:
    """The entries of ``folder`` sorted by name; None when there are more than ``budget``. An unreadable
    folder has none."""
    try:
        with os.scandir(folder) as scan:
            entries = list(itertools.islice(scan, budget + 1))
    except OSError:
        return []
    return None if len(entries) > budget else sorted(entries, key=lambda entry: entry.name)


def snapshot(target: Path, limit: int = MAX_SNAPSHOT_ENTRIES) -> TreeSnapshot:
    """The files under ``target`` with their (size, mtime), symlinks not followed, the folders the listing
    never lists (``.git``, ``.venv``, ``node_modules`` ...) not entered.

    At most ``limit`` files and folders are looked at: a folder that would take the count past it is not
    read, the walk stops there, and the snapshot says where (``stopped_at``). Files that vanish during the
    walk and unreadable folders are passed over; no OSError is raised.
    """
    files: dict[str, tuple[int, int]] = {}
    pending, budget = [""], limit
    while pending:
        prefix = pending.pop()
        entries = _entries(target / prefix, budget)
        if entries is None:
            return TreeSnapshot(files, limit, prefix.rstrip("/") or ".")
        budget -= len(entries)
        folders = _record_files(prefix, entries, files)
        pending.extend(reversed([prefix + name + "/" for name in folders if name not in _NOT_WALKED]))
    return TreeSnapshot(files, limit)


def _record_files(prefix: str, entries: list[os.DirEntry[str]], files: dict[str, tuple[int, int]]) -> list[str]:
    """Add the (size, mtime) of each entry that is not a folder to ``files``; returns the folders' names."""
    folders: list[str] = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            folders.append(entry.name)
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # gone since the folder was read
        files[prefix + entry.name] = (st.st_size, st.st_mtime_ns)
    return folders


def _comparable(snap: TreeSnapshot, stops: list[str]) -> dict[str, tuple[int, int]]:
    """The files of ``snap`` that come before the earliest of ``stops`` in the walk (all when none)."""
    if not stops:
        return dict(snap.files)
    horizon = min(_folder_key(stop) for stop in stops)
    return {rel: stat for rel, stat in snap.files.items() if walk_key(rel) < horizon}


def changes(before: TreeSnapshot, after: TreeSnapshot) -> list[str]:
    """Human-readable list of files created, changed or deleted between two snapshots.

    When a walk stopped at its bound, only the files both walks reached are compared (see
    :func:`snapshot_note`), so a file past the bound is never reported as created or deleted.
    """
    stops = [s.stopped_at for s in (before, after) if s.stopped_at is not None]
    old, new = _comparable(before, stops), _comparable(after, stops)
    out = [f"created {p}" for p in sorted(new.keys() - old.keys())]
    out += [f"deleted {p}" for p in sorted(old.keys() - new.keys())]
    out += [f"changed {p}" for p in sorted(old.keys() & new.keys()) if old[p] != new[p]]
    return out


def snapshot_note(before: TreeSnapshot, after: TreeSnapshot) -> str | None:
    """What :func:`changes` could not compare, in words for the evidence; None when it compared every file."""
    stops = [s.stopped_at for s in (before, after) if s.stopped_at is not None]
    if not stops:
        return None
    where = min(stops, key=_folder_key)
    if where == ".":
        return f"the target's top folder has more than {before.limit} entries: writes into its tree were not looked for"
    return (
        f"the target has more than {before.limit} files and folders (besides those the listing leaves out): writes "
        f"into its tree were looked for only before {where}/ (walking by name, a folder's files before its subfolders)"
    )
