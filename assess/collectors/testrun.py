"""How to run the target's tests: which interpreter, which command, and in what environment."""

from __future__ import annotations

import itertools
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from assess._sandbox import STEERING_ENV, Limits, MiB, PrivateTemp, allowed_env
from assess._spawn import spawn
from assess.collectors.listing import EXCLUDED_DIRS, WALK_ONLY_EXCLUDED_DIRS

VENV_DIRS = (".venv", "venv")

_PROBE = (
    "import json, importlib.metadata as m, platform\n"
    "def v(n):\n"
    "    try: return m.version(n)\n"
    "    except Exception: return None\n"
    "print(json.dumps({'python': platform.python_version(), 'pytest': v('pytest'), 'coverage': v('coverage')}))\n"
)

_SCRUBBED_ENV = STEERING_ENV
"""Variables that would change how the target's tests or coverage run behave under assess."""
PROBE_TIMEOUT_S = 60.0
PROBE_LIMITS = Limits(file_size=MiB)
"""The probe's answer is a line of JSON: its output files may not grow past 1 MiB."""


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


def probe_interpreter(target: Path, explicit: str | None, pass_env: Iterable[str] = ()) -> Interpreter:
    """Find the interpreter for the target's tests and what it has installed. It may be the target's own
    (``.venv``), so it runs as the tests do: under the reaper, with the tests' environment (``pass_env``) and
    :data:`PROBE_LIMITS`. Raises TestSetupError when it cannot run, fails, or gives no usable answer."""
    path, how = find_interpreter(target, explicit)
    try:
        code, stdout, stderr = _run_probe([str(path), "-I", "-c", _PROBE], target, suite_env(path, pass_env))
    except OSError as err:
        raise TestSetupError(f"cannot run the interpreter {path} ({how}): {err}") from err
    if code is None:
        raise TestSetupError(f"cannot run the interpreter {path} ({how}): no answer within {PROBE_TIMEOUT_S:g} s")
    if code != 0:
        raise TestSetupError(f"the interpreter {path} ({how}) failed: {stderr.strip()[-300:]}")
    try:
        info = json.loads(stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError) as err:
        raise TestSetupError(f"the interpreter {path} ({how}) gave no usable answer") from err
    return Interpreter(path, how, info["python"], info["pytest"], info["coverage"])


def _run_probe(cmd: list[str], cwd: Path, env: Mapping[str, str]) -> tuple[int | None, str, str]:
    """(exit code or None when it overran :data:`PROBE_TIMEOUT_S`, stdout, stderr) of ``cmd`` under the reaper,
    its output in files it cannot grow past :data:`PROBE_LIMITS`. Raises OSError when it cannot be started."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, PrivateTemp() as tmp:
        started = spawn(cmd, cwd=cwd, env={**env, **tmp.env()}, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                        limits=PROBE_LIMITS)  # fmt: skip
        code = started.wait(PROBE_TIMEOUT_S)
        if code is None:
            started.kill()
        started.close_status()
        out.seek(0)
        err.seek(0)
        return code, out.read(MiB).decode(errors="replace"), err.read(MiB).decode(errors="replace")


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


def suite_env(interpreter: Path, pass_env: Iterable[str] = (), tmp: PrivateTemp | None = None) -> dict[str, str]:
    """The environment for the target's tests and for whatever reads its configuration: the allowed part of
    ours (:func:`assess._sandbox.allowed_env`) and the ``pass_env`` variables, never coverage/pytest steering,
    no bytecode files, ``interpreter``'s folder first on ``PATH``, and ``tmp`` as its temporary folder."""
    env = {k: v for k, v in allowed_env(pass_env).items() if k not in _SCRUBBED_ENV}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PATH"] = f"{interpreter.parent}{os.pathsep}{env.get('PATH', '')}"
    return env | (tmp.env() if tmp else {})


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


def snapshot(target: Path, limit: int = MAX_SNAPSHOT_ENTRIES, leave_out: Sequence[str] = ()) -> TreeSnapshot:
    """The files under ``target`` with their (size, mtime), symlinks not followed, the folders the listing
    never lists (``.git``, ``.venv``, ``node_modules`` ...) and those in ``leave_out`` (assess's own run folders,
    which assess writes while the tests run) not entered.

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
        pending.extend(reversed([prefix + name + "/" for name in folders
                                 if name not in _NOT_WALKED and prefix + name not in leave_out]))  # fmt: skip
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
